"""Monitoring reports of a deployment from its logged predictions and its bundle: drift and
performance. Shared by the REST endpoints and the alert job."""

import threading
from datetime import datetime
from typing import Any

import pandas as pd

from tunelab.monitoring import (
    PREDICTION,
    DriftOptions,
    decode_batches,
    drift_report,
    fit_calibrator,
    fit_error_model,
    inputs_of,
    performance_report,
    window,
)
from tunelab.tracking import MetadataStore


def _seconds(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def logged_window(
    store: MetadataStore, deployment_id: str, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    """The logged predictions of ``[start, end)`` as one frame (``tunelab.monitoring``)."""
    blobs = store.monitor_blobs(deployment_id, start, end)
    return window(decode_batches(blobs), _seconds(start), _seconds(end))


def drift_of(
    store: MetadataStore,
    bundle: Any,
    deployment_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    options: DriftOptions | None = None,
) -> dict[str, Any]:
    """The drift report of a window against the deployment's bundle (settings: stored)."""
    if options is None:
        options = DriftOptions.from_dict(store.get_monitor_settings(deployment_id))
    frame = logged_window(store, deployment_id, start, end)
    reference = {
        name: stats
        for name, stats in bundle.reference_statistics.items()
        if name in set(bundle.feature_columns)
    }
    predictions = frame[PREDICTION] if PREDICTION in frame.columns else pd.Series(dtype=object)
    report = drift_report(
        reference,
        inputs_of(frame),
        options,
        prediction_reference=bundle.prediction_statistics,
        predictions=predictions,
    )
    report["start"] = None if start is None else start.isoformat()
    report["end"] = None if end is None else end.isoformat()
    return report


def held_back_metrics(bundle: Any) -> dict[str, Any]:
    """The model's metrics on its held-back part (test, else valid) from the manifest."""
    metrics = bundle.manifest.get("metrics") or {}
    for part in ("test", "valid", "train"):
        found = metrics.get(part)
        if isinstance(found, dict) and found:
            out: dict[str, Any] = {}
            for name, value in found.items():
                if isinstance(value, dict) and "value" in value:
                    out[name] = {k: value.get(k) for k in ("value", "ci_low", "ci_high")}
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    out[name] = {"value": float(value), "ci_low": None, "ci_high": None}
            return {"part": part, "metrics": out}
    return {"part": None, "metrics": {}}


def label_id_range(start: datetime | None, end: datetime | None) -> tuple[str | None, str | None]:
    """The prediction-id range of a time window (ids start with hex milliseconds)."""
    first = None if start is None else f"{int(start.timestamp() * 1000):011x}"
    last = None if end is None else f"{int(end.timestamp() * 1000):011x}~"
    return first, last


_ESTIMATORS: dict[tuple[str, str], tuple[Any, Any]] = {}
_ESTIMATORS_LOCK = threading.Lock()
MAX_CACHED_ESTIMATORS = 16


def estimators_of(bundle: Any) -> tuple[Any, Any]:
    """``(calibrator, error_model)`` fitted on the bundle's held-back rows (None, None for
    bundles without them), cached per bundle."""
    digest = str((bundle.manifest.get("files") or {}).get("held_back.parquet") or "")
    if not digest:
        return None, None
    key = (str(bundle.path), digest)
    with _ESTIMATORS_LOCK:
        found = _ESTIMATORS.get(key)
    if found is not None:
        return found
    reference = bundle.held_back()
    if bundle.task.is_classification:
        fitted: tuple[Any, Any] = (fit_calibrator(reference, bundle.classes or []), None)
    else:
        fitted = (None, fit_error_model(reference))
    with _ESTIMATORS_LOCK:
        if len(_ESTIMATORS) >= MAX_CACHED_ESTIMATORS:
            _ESTIMATORS.pop(next(iter(_ESTIMATORS)))
        _ESTIMATORS[key] = fitted
    return fitted


def performance_of(
    store: MetadataStore,
    bundle: Any,
    deployment_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str = "day",
) -> dict[str, Any]:
    """Metrics per bucket on the labelled predictions (and the estimate before labels: CBPE,
    calibrated on the held-back rows when the bundle has them, or DLE), beside the model's
    own held-back metrics."""
    frame = logged_window(store, deployment_id, start, end)
    first, last = label_id_range(start, end)
    labels = store.labels_between(deployment_id, first, last)
    extra = bundle.manifest.get("extra") or {}
    calibrator, error_model = estimators_of(bundle)
    report = performance_report(
        bundle.task,
        frame,
        labels,
        classes=bundle.classes,
        bucket=bucket,
        main_metric=extra.get("metric"),
        calibrator=calibrator,
        error_model=error_model,
    )
    report["reference"] = held_back_metrics(bundle)
    report["start"] = None if start is None else start.isoformat()
    report["end"] = None if end is None else end.isoformat()
    report["rows"] = len(frame)
    report["labelled"] = int(sum(b["labelled"] for b in report["buckets"]))
    return report
