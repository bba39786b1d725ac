"""Model performance over time once true labels arrive, and a label-free estimate for
classifiers before (NannyML's confidence-based performance estimation, CBPE)."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities import TaskType
from tunelab.monitoring._estimate import (
    Calibrator,
    ErrorModel,
    estimate_regression,
)
from tunelab.monitoring._log import AT, PREDICTION, probabilities_of

BUCKETS = {"hour": 3600, "day": 86400, "week": 7 * 86400}
LABEL = "__label"
DEFAULT_METRICS = {
    TaskType.BINARY: ("accuracy", "roc_auc", "f1"),
    TaskType.MULTICLASS: ("accuracy", "f1_macro", "log_loss"),
    TaskType.REGRESSION: ("rmse", "mae", "r2"),
}
ESTIMATE_NOTE = (
    "estimated without labels from the model's probabilities (CBPE): assumes they are "
    "calibrated and that only the inputs changed, not the relation to the target"
)
CALIBRATED_NOTE = (
    "estimated without labels (CBPE) from the model's probabilities calibrated on its "
    "held-back rows (isotonic): assumes only the inputs changed, not the relation to the target"
)
DLE_NOTE = (
    "estimated without labels (DLE): models of the absolute and squared error fitted on the "
    "model's held-back rows; assumes only the inputs changed, not the relation to the target"
)


def metric_names(task: TaskType, main: str | None = None) -> list[str]:
    """The model's own metric first, then the task's usual ones (known metrics only)."""
    from tunelab.evaluation import list_metrics

    known = set(list_metrics(task))
    names = [main] if main else []
    names += list(DEFAULT_METRICS.get(task, ()))
    return [n for n in dict.fromkeys(names) if n in known]


def _class_matrix(frame: pd.DataFrame, classes: Sequence[Any]) -> np.ndarray:
    proba = probabilities_of(frame)
    columns = [str(c) for c in classes]
    return proba.reindex(columns=columns).to_numpy(dtype=float)


def _codes(labels: pd.Series, classes: Sequence[Any]) -> np.ndarray:
    index = {str(c): i for i, c in enumerate(classes)}
    return np.array([index.get(str(v), -1) for v in labels], dtype=int)


def estimate(
    task: TaskType, proba: np.ndarray, calibrator: Calibrator | None = None
) -> dict[str, dict[str, Any]]:
    """CBPE: expected accuracy (and ROC AUC for binary tasks) from class probabilities,
    calibrated first when a ``calibrator`` is given.

    Each row counts as a hit with the (calibrated) probability of its predicted class; the
    interval is the normal one of that sum of Bernoulli draws. Binary ROC AUC ranks rows by
    the model's score and weighs each as a positive by p and as a negative by 1 - p."""
    proba = proba[np.isfinite(proba).all(axis=1)]
    n = len(proba)
    if n == 0:
        return {}
    scores_p = proba[:, 1] if proba.shape[1] == 2 else None
    predicted = proba.argmax(axis=1)
    if calibrator is not None:
        proba = calibrator.calibrate(proba)
    hit = proba[np.arange(n), predicted]
    value = float(hit.mean())
    half = 1.96 * float(np.sqrt(np.sum(hit * (1 - hit)))) / n
    out: dict[str, dict[str, Any]] = {
        "accuracy": {
            "value": value,
            "ci_low": max(0.0, value - half),
            "ci_high": min(1.0, value + half),
            "estimate": True,
        }
    }
    if task is TaskType.BINARY:
        from sklearn.metrics import roc_auc_score

        p = proba[:, 1]
        assert scores_p is not None
        scores = np.concatenate([scores_p, scores_p])
        truth = np.concatenate([np.ones(n), np.zeros(n)])
        weights = np.concatenate([p, 1 - p])
        if weights[:n].sum() > 0 and weights[n:].sum() > 0:
            auc = float(roc_auc_score(truth, scores, sample_weight=weights))
            out["roc_auc"] = {"value": auc, "ci_low": None, "ci_high": None, "estimate": True}
    return out


def _measured(
    task: TaskType,
    names: Sequence[str],
    part: pd.DataFrame,
    classes: Sequence[Any] | None,
    n_resamples: int,
) -> dict[str, Any]:
    from tunelab.evaluation import evaluate_predictions

    if task.is_classification:
        assert classes is not None
        yt = _codes(part[LABEL], classes)
        known = yt >= 0
        proba = _class_matrix(part, classes)[known]
        result = evaluate_predictions(
            task,
            names,
            yt[known],
            proba=proba,
            with_ci=True,
            n_resamples=n_resamples,
            with_curves=False,
        )
    else:
        y = pd.to_numeric(part[LABEL], errors="coerce").to_numpy(dtype=float)
        yp = part[PREDICTION].to_numpy(dtype=float)
        keep = np.isfinite(y) & np.isfinite(yp)
        result = evaluate_predictions(
            task,
            names,
            y[keep],
            y_pred=yp[keep],
            with_ci=True,
            n_resamples=n_resamples,
            with_curves=False,
        )
    return {
        name: {k: m.get(k) for k in ("value", "ci_low", "ci_high")}
        for name, m in result["metrics"].items()
    }


def performance_report(
    task: TaskType | str,
    frame: pd.DataFrame,
    labels: Mapping[str, Any],
    *,
    classes: Sequence[Any] | None = None,
    bucket: str = "day",
    main_metric: str | None = None,
    id_column: str = "__id",
    n_resamples: int = 300,
    min_labels: int = 2,
    calibrator: Calibrator | None = None,
    error_model: ErrorModel | None = None,
) -> dict[str, Any]:
    """Per time bucket: rows predicted, rows labelled, each metric with its 95% bootstrap
    interval on the labelled rows, and the label-free estimate on all rows: CBPE for
    classifiers (calibrated by ``calibrator`` when given), DLE for regression (with an
    ``error_model``)."""
    task = TaskType(task)
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    names = metric_names(task, main_metric)
    width = BUCKETS[bucket]
    frame = frame.assign(**{LABEL: frame[id_column].map(labels)}) if len(frame) else frame
    out: list[dict[str, Any]] = []
    if len(frame):
        starts = (np.floor(frame[AT].to_numpy(dtype=float) / width) * width).astype(np.int64)
        for start in np.unique(starts):
            part = frame.loc[starts == start]
            labelled = part[part[LABEL].notna()]
            item: dict[str, Any] = {
                "start": pd.Timestamp(int(start), unit="s", tz="UTC").isoformat(),
                "end": pd.Timestamp(int(start) + width, unit="s", tz="UTC").isoformat(),
                "count": len(part),
                "labelled": len(labelled),
                "metrics": (
                    _measured(task, names, labelled, classes, n_resamples)
                    if len(labelled) >= min_labels
                    else {}
                ),
                "estimated": _estimated(task, part, classes, calibrator, error_model),
            }
            out.append(item)
    return {
        "task": task.value,
        "bucket": bucket,
        "metrics": names,
        "buckets": out,
        "estimate": _method(task, calibrator, error_model),
    }


def _estimated(
    task: TaskType,
    part: pd.DataFrame,
    classes: Sequence[Any] | None,
    calibrator: Calibrator | None,
    error_model: ErrorModel | None,
) -> dict[str, dict[str, Any]]:
    if task.is_classification:
        return estimate(task, _class_matrix(part, classes), calibrator) if classes else {}
    if error_model is not None and PREDICTION in part.columns:
        return estimate_regression(error_model, part)
    return {}


def _method(
    task: TaskType, calibrator: Calibrator | None, error_model: ErrorModel | None
) -> dict[str, Any] | None:
    if task.is_classification:
        note = CALIBRATED_NOTE if calibrator is not None else ESTIMATE_NOTE
        return {"method": "cbpe", "calibrated": calibrator is not None, "note": note}
    if error_model is not None:
        return {"method": "dle", "note": DLE_NOTE}
    return None
