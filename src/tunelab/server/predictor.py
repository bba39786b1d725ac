"""Predictions for deployments: bundles cached in memory, records checked field by field."""

import gc
import logging
import math
import queue
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import ConflictError, DeploymentStatus
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore

log = logging.getLogger(__name__)
MAX_RECORDS = 10_000
# Seconds a thread may keep the interpreter lock while others wait (Python's default: 5 ms).
# A request waiting for the lock (after each socket wait and each call into LightGBM, which
# releases it) would otherwise wait up to 5 ms each time while the log thread runs Python.
SWITCH_INTERVAL = 0.0005
# Records the fast path answers on the event loop (larger requests, and values the plan has
# not learned yet, are answered by ``predict`` in a worker thread).
EVENT_LOOP_RECORDS = 64


@dataclass
class Predictor:
    """A loaded bundle ready to answer; ``fields`` are its input columns.

    ``plan`` is the verified fast path for small requests (None when the model does not allow
    one); requests it cannot map go through the bundle (validation + sklearn) as usual.
    """

    deployment_id: str
    model_id: str
    bundle: Any  # tunelab.bundles.Bundle
    fields: frozenset[str]
    plan: Any = None  # tunelab.server.deployments.fastpath.FastPlan
    _explainer: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.labels: list[Any] | None = (
            list(self.bundle.classes or []) if self.bundle.task.is_classification else None
        )
        # a clustering bundle answers clusters, distances (and memberships), as ``predict``
        self.clustering = not self.bundle.task.is_supervised
        # each input field's schema kind, for the monitoring log's column types
        self.kinds: dict[str, str] = {c.name: str(c.kind) for c in self.bundle.schema}

    def generic_output(self, records: list[dict[str, Any]]) -> Any:
        """Probabilities (n, k) for classifiers or values (n,), through the bundle; for a
        clustering bundle the frame of ``tunelab.clustering.cluster_assignments``."""
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame.from_records(records)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.clustering:
                from tunelab.clustering import cluster_assignments

                return cluster_assignments(self.bundle.model, self.bundle.validate(frame))
            if self.labels is not None:
                return self.bundle.predict_proba(frame).to_numpy(dtype=float)
            return np.asarray(self.bundle.predict(frame), dtype=float)

    def output(self, records: list[dict[str, Any]]) -> Any:
        """The model's output for checked ``records`` (fast path first)."""
        if self.plan is not None:
            found = self.plan.predict(records)
            if found is not None:
                return found
        return self.generic_output(records)

    def predict(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        check_records(records, self.fields)
        return self._answer(self.output(records))

    def fast_predict(self, records: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The answer by the fast path without learning unseen values (cheap enough for the
        event loop), or None (records must be checked already)."""
        found = (
            None
            if self.plan is None
            else self.plan.predict(records, learn=0, limit=EVENT_LOOP_RECORDS)
        )
        return None if found is None else self._answer(found)

    def _answer(self, out: Any) -> dict[str, Any]:
        if self.clustering:
            return cluster_answer(out)
        if self.labels is None:
            return {"predictions": [float(v) for v in out]}
        labels = self.labels
        names = [str(c) for c in labels]
        return {
            "predictions": [labels[i] for i in out.argmax(axis=1).tolist()],
            "probabilities": [dict(zip(names, row, strict=True)) for row in out.tolist()],
        }

    def explain_ready(self) -> Any:
        """The explainer, built on first use (SHAP explainers take a moment to set up)."""
        from tunelab.server.deployments.explain import Explainer

        if self.clustering:
            raise FieldError(
                ["query", "explain"],
                "explanations are not available for clustering models",
                "not_supported",
            )
        if self._explainer is None:
            self._explainer = Explainer(self.bundle, self.output, self.plan)
            self._explainer.prepare()
        return self._explainer

    def explain(self, records: list[dict[str, Any]], method: str = "shap") -> list[dict[str, Any]]:
        """Per-record contributions of each input column by ``method`` (``shap``: additive,
        ``lime``: a local surrogate; see deployments/explain.py)."""
        return self.explain_ready().explain(records, method)


def cluster_answer(out: Any) -> dict[str, Any]:
    """The answer of a clustering model: ``predictions`` (cluster, −1: noise), ``distances``
    (to each centroid) and, for Gaussian mixtures, ``probabilities`` (memberships by
    cluster) — the columns ``tunelab predict`` writes."""
    answer: dict[str, Any] = {
        "predictions": [int(v) for v in out["cluster"]],
        "distances": out.filter(regex=r"^distance_\d+$").to_numpy(dtype=float).tolist(),
    }
    proba = out.filter(regex=r"^proba_\d+$")
    if proba.shape[1]:
        names = [c.removeprefix("proba_") for c in proba.columns]
        answer["probabilities"] = [
            dict(zip(names, row, strict=True)) for row in proba.to_numpy(dtype=float).tolist()
        ]
    return answer


def check_records(records: list[dict[str, Any]], fields: frozenset[str]) -> None:
    """422 naming the first missing or unexpected field (with the record's index)."""
    if not records:
        raise FieldError(["body", "records"], "give at least one record", "too_short")
    if len(records) > MAX_RECORDS:
        raise FieldError(["body", "records"], f"at most {MAX_RECORDS} records", "too_long")
    for index, record in enumerate(records):
        missing = sorted(fields - record.keys())
        if missing:
            raise FieldError(["body", "records", index, missing[0]], "field required", "missing")
        extra = sorted(record.keys() - fields)
        if extra:
            raise FieldError(
                ["body", "records", index, extra[0]], "field not used by the model", "extra"
            )
        for name, value in record.items():
            if type(value) is float and not math.isfinite(value):
                raise FieldError(
                    ["body", "records", index, name],
                    f"{value} is not a number JSON allows (NaN, Infinity or beyond "
                    "±1.8e308); send null for a missing value",
                    "finite_number",
                )


class PredictorCache:
    """One loaded bundle per deployment, kept in memory (bundles are immutable)."""

    def __init__(self, store: MetadataStore, artifacts: ArtifactStore, cache_dir: Path) -> None:
        self.store = store
        self.artifacts = artifacts
        self.cache_dir = cache_dir
        self._loaded: dict[str, Predictor] = {}
        self._models: dict[str, Predictor] = {}  # by model id (registry versions)
        self._lock = threading.Lock()
        self._log: PredictionLog | None = None
        self.warming = False  # True while warm_all loads the deployments at start
        self.forget_hooks: list[Callable[[str], None]] = []  # e.g. the traffic plans
        self.warm_hooks: list[Callable[[str], object]] = []  # run after a deployment is warmed

    @property
    def log(self) -> "PredictionLog | None":
        return self._log

    @log.setter
    def log(self, value: "PredictionLog | None") -> None:
        if value is not None and value.explain is None:
            value.explain = self.explain
        if value is not None and value.explain_model is None:
            value.explain_model = self.explain_model
        self._log = value

    def explain(
        self, deployment_id: str, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        """Explanations of ``records`` by a deployment's model (raises if it is gone; None
        for a clustering model, which has none)."""
        predictor = self.get(deployment_id)
        return None if predictor.clustering else predictor.explain(records)

    def loaded(self, deployment_id: str) -> Predictor | None:
        """The predictor if it is already in memory (no I/O)."""
        return self._loaded.get(deployment_id)

    def get(self, deployment_id: str) -> Predictor:
        found = self._loaded.get(deployment_id)
        if found is not None:
            return found
        with self._lock:
            found = self._loaded.get(deployment_id)
            if found is None:
                found = self._load(deployment_id)
                self._loaded[deployment_id] = found
            return found

    def _load(self, deployment_id: str) -> Predictor:
        deployment = self.store.get_deployment(deployment_id)
        if deployment.status is not DeploymentStatus.ACTIVE:
            raise ConflictError(f"deployment {deployment_id!r} is {deployment.status.value}")
        return self._load_model(deployment.model_id, deployment_id)

    def _load_model(self, model_id: str, deployment_id: str = "") -> Predictor:
        from tunelab.bundles import load_bundle
        from tunelab.server.deployments.fastpath import build_fast_plan

        model = self.store.get_model(model_id)
        folder = self.artifacts.cached_dir(model.uri, self.cache_dir / "bundles")
        bundle = load_bundle(folder)
        fields = frozenset(c.name for c in bundle.schema)
        predictor = Predictor(deployment_id, model.id, bundle, fields)
        if not predictor.clustering:
            predictor.plan = build_fast_plan(bundle, predictor.generic_output)
        return predictor

    def for_model(self, model_id: str) -> Predictor:
        """A model's predictor (registry versions served by traffic routes), loaded once."""
        found = self._models.get(model_id)
        if found is not None:
            return found
        with self._lock:
            found = self._models.get(model_id)
            if found is None:
                found = self._load_model(model_id)
                self._models[model_id] = found
            return found

    def explain_model(
        self, model_id: str, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        """Explanations of ``records`` by one model (raises if it is gone; None for a
        clustering model)."""
        predictor = self.for_model(model_id)
        return None if predictor.clustering else predictor.explain(records)

    def warm(self, deployment_id: str) -> None:
        """Load a deployment's bundle and explainer ahead of its first prediction (errors
        surface later)."""
        try:
            predictor = self.get(deployment_id)
            if not predictor.clustering:  # a clustering model has no explainer
                predictor.explain_ready()
            for hook in self.warm_hooks:
                hook(deployment_id)
        except Exception:
            log.warning("could not preload deployment %s", deployment_id, exc_info=True)
            return
        # As the app does at start: move the loaded model (and its libraries' imports) out
        # of the collector's reach; full collections over them otherwise pause random
        # requests for ~100 ms, a few times a minute under load.
        gc.collect()
        gc.freeze()

    def warm_all(self) -> None:
        """Load every active deployment (at start; pages are slower until it ends, since
        loading holds the interpreter lock — the health check reports ``warming``)."""
        self.warming = True
        try:
            for deployment in self.store.list_deployments(limit=1000):
                if deployment.status is DeploymentStatus.ACTIVE:
                    self.warm(deployment.id)
        finally:
            self.warming = False

    def forget(self, deployment_id: str) -> None:
        with self._lock:
            self._loaded.pop(deployment_id, None)
        for hook in self.forget_hooks:
            hook(deployment_id)

    def drop_loaded(self, deployment_id: str) -> None:
        """Drop a deployment's predictor only (reloaded on next use; hooks not run)."""
        with self._lock:
            self._loaded.pop(deployment_id, None)

    def forget_model(self, model_id: str) -> None:
        with self._lock:
            self._models.pop(model_id, None)


ExplainFn = Callable[[str, list[dict[str, Any]]], list[dict[str, Any]] | None]


class PredictionLog:
    """Stores predictions from a background thread so answers never wait for the database.

    The thread drains the queue in batches: after the first record it lets ``gather``
    seconds of records accumulate, then writes them in one transaction, so a busy server
    pays one write per batch, not per prediction (less of the log's Python work competes
    with the requests for the interpreter lock; the app also shortens the interpreter's
    switch interval, see ``SWITCH_INTERVAL``).

    At most once per ``explain_interval`` seconds it also explains the batch's records that
    came without an explanation (up to ``explain_limit``, one vectorized call per
    deployment); the history explains the rest when it is read.
    """

    def __init__(
        self,
        store: MetadataStore,
        explain: ExplainFn | None = None,
        batch_size: int = 256,
        explain_interval: float = 2.0,
        gather: float = 0.05,
    ) -> None:
        self.store = store
        self.explain = explain
        self.explain_model: ExplainFn | None = None
        self.batch_size = batch_size
        self.explain_limit = 64
        self.explain_interval = explain_interval
        self.gather = gather
        self._explained_at = -float("inf")
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=10_000)
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
        self._thread.start()

    def record(self, deployment_id: str, **row: Any) -> None:
        row.setdefault("at", time.time())
        try:
            self._queue.put_nowait((deployment_id, row))
        except queue.Full:
            log.warning("prediction log is full; a prediction of %s was not stored", deployment_id)

    def _take(self) -> tuple[list[tuple[str, dict[str, Any]]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        if self.gather > 0:
            time.sleep(self.gather)  # let a burst of predictions join this batch
        batch = [first]
        while len(batch) < self.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _explain(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        now = time.monotonic()
        if self.explain is None or now - self._explained_at < self.explain_interval:
            return
        self._explained_at = now
        budget = self.explain_limit
        by_deployment: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        for deployment_id, row in batch:
            if row.get("shadow") or (row.get("model_id") and self.explain_model is None):
                continue  # shadow copies are compared, not explained
            if row.get("explanation") is None and len(row["inputs"]) <= budget:
                budget -= len(row["inputs"])
                key = (deployment_id, row.get("model_id"))
                by_deployment.setdefault(key, []).append(row)
        for (deployment_id, model_id), rows in by_deployment.items():
            records = [r for row in rows for r in row["inputs"]]
            explained: list[dict[str, Any]] | None
            try:
                if model_id is not None and self.explain_model is not None:
                    explained = self.explain_model(model_id, records)
                else:
                    explained = self.explain(deployment_id, records)
            except Exception:
                log.warning("explaining predictions of %s failed", deployment_id, exc_info=True)
                continue
            if explained is None:
                continue
            at = 0
            for row in rows:
                n = len(row["inputs"])
                row["explanation"] = {"rows": explained[at : at + n]}
                at += n

    def _drain(self) -> None:
        done = False
        while not done:
            batch, done = self._take()
            try:
                if batch:
                    answered = [(d, row) for d, row in batch if not row.get("error")]
                    self._explain(answered)
                    self.store.add_predictions(answered)
                    self.store.add_monitor_batches(monitor_batches(batch))
            except Exception:  # a database hiccup
                log.exception("storing %d predictions failed", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
        self._queue.task_done()

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


def monitor_batches(batch: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The monitoring log's batches (one per deployment) of a drained batch: answered
    records as Arrow columns, requests and failed requests counted."""
    from tunelab.monitoring import encode_batch

    groups: dict[str, list[dict[str, Any]]] = {}
    for deployment_id, row in batch:
        if not row.get("shadow"):
            groups.setdefault(deployment_id, []).append(row)
    out: list[dict[str, Any]] = []
    for deployment_id, rows in groups.items():
        answered = [r for r in rows if not r.get("error")]
        stamps = [float(r["at"]) for r in rows]
        item: dict[str, Any] = {
            "deployment_id": deployment_id,
            "first_at": min(stamps),
            "last_at": max(stamps),
            "n_requests": len(rows),
            "n_errors": len(rows) - len(answered),
            "n_rows": 0,
        }
        if answered:
            item["data"], item["n_rows"] = encode_batch(answered, answered[-1].get("kinds"))
        out.append(item)
    return out


def timed_predict(
    predictor: Predictor, records: list[dict[str, Any]]
) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    out = predictor.predict(records)
    return out, (time.perf_counter() - started) * 1000.0
