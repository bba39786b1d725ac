"""Monitoring reports of a deployment from its logged predictions and its bundle: drift and
performance. Shared by the REST endpoints and the alert job."""

from datetime import datetime
from typing import Any

import pandas as pd

from tunelab.monitoring import (
    PREDICTION,
    DriftOptions,
    decode_batches,
    drift_report,
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


def performance_of(
    store: MetadataStore,
    bundle: Any,
    deployment_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str = "day",
) -> dict[str, Any]:
    """Metrics per bucket on the labelled predictions (and the CBPE estimate), beside the
    model's own held-back metrics."""
    frame = logged_window(store, deployment_id, start, end)
    first, last = label_id_range(start, end)
    labels = store.labels_between(deployment_id, first, last)
    extra = bundle.manifest.get("extra") or {}
    report = performance_report(
        bundle.task,
        frame,
        labels,
        classes=bundle.classes,
        bucket=bucket,
        main_metric=extra.get("metric"),
    )
    report["reference"] = held_back_metrics(bundle)
    report["start"] = None if start is None else start.isoformat()
    report["end"] = None if end is None else end.isoformat()
    report["rows"] = len(frame)
    report["labelled"] = int(sum(b["labelled"] for b in report["buckets"]))
    return report
