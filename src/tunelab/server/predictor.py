"""Predictions for deployments: bundles cached in memory, records checked field by field."""

import logging
import queue
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import ConflictError, DeploymentStatus
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore, jsonable

log = logging.getLogger(__name__)
MAX_RECORDS = 10_000


@dataclass(frozen=True)
class Predictor:
    """A loaded bundle ready to answer; ``fields`` are its input columns."""

    deployment_id: str
    model_id: str
    bundle: Any  # tunelab.bundles.Bundle
    fields: frozenset[str]

    def predict(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        import pandas as pd

        check_records(records, self.fields)
        frame = pd.DataFrame.from_records(records)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predictions = self.bundle.predict(frame)
            out: dict[str, Any] = {"predictions": jsonable(list(predictions))}
            if self.bundle.task.is_classification:
                proba = self.bundle.predict_proba(frame)
                labels = [str(c) for c in proba.columns]
                out["probabilities"] = [
                    dict(zip(labels, map(float, row), strict=True)) for row in proba.to_numpy()
                ]
        return out


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


class PredictorCache:
    """One loaded bundle per deployment, kept in memory (bundles are immutable)."""

    def __init__(self, store: MetadataStore, artifacts: ArtifactStore, cache_dir: Path) -> None:
        self.store = store
        self.artifacts = artifacts
        self.cache_dir = cache_dir
        self._loaded: dict[str, Predictor] = {}
        self._lock = threading.Lock()
        self.log: PredictionLog | None = None

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
        from tunelab.bundles import load_bundle

        deployment = self.store.get_deployment(deployment_id)
        if deployment.status is not DeploymentStatus.ACTIVE:
            raise ConflictError(f"deployment {deployment_id!r} is {deployment.status.value}")
        model = self.store.get_model(deployment.model_id)
        folder = self.artifacts.cached_dir(model.uri, self.cache_dir / "bundles")
        bundle = load_bundle(folder)
        fields = frozenset(c.name for c in bundle.schema)
        return Predictor(deployment_id, model.id, bundle, fields)

    def warm(self, deployment_id: str) -> None:
        """Load a deployment's bundle ahead of its first prediction (errors surface later)."""
        try:
            self.get(deployment_id)
        except Exception:
            log.warning("could not preload deployment %s", deployment_id, exc_info=True)

    def warm_all(self) -> None:
        for deployment in self.store.list_deployments(limit=1000):
            if deployment.status is DeploymentStatus.ACTIVE:
                self.warm(deployment.id)

    def forget(self, deployment_id: str) -> None:
        with self._lock:
            self._loaded.pop(deployment_id, None)


class PredictionLog:
    """Stores predictions from a background thread so answers never wait for the database."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=10_000)
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
        self._thread.start()

    def record(self, deployment_id: str, **row: Any) -> None:
        try:
            self._queue.put_nowait((deployment_id, row))
        except queue.Full:
            log.warning("prediction log is full; a prediction of %s was not stored", deployment_id)

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            deployment_id, row = item
            try:
                self.store.add_prediction(deployment_id, **row)
            except Exception:  # a deployment deleted meanwhile, a database hiccup
                log.exception("storing a prediction of %s failed", deployment_id)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


def timed_predict(
    predictor: Predictor, records: list[dict[str, Any]]
) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    out = predictor.predict(records)
    return out, (time.perf_counter() - started) * 1000.0
