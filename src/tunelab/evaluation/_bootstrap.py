"""Percentile bootstrap confidence intervals of a metric."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from tunelab.entities import ConfigError, TaskType, TunelabError
from tunelab.evaluation import _fast as fast
from tunelab.evaluation import _metrics as m
from tunelab.evaluation._metrics import Metric, labels_from_proba

_CHUNK_CELLS = 4_000_000  # resampled cells held in memory at once

Vectorised = Callable[[np.ndarray, np.ndarray | None, np.ndarray | None], np.ndarray]


def split_prediction(
    metric: Metric, pred: object | None, y_pred: object | None, proba: object | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Route a positional ``pred`` to ``(y_pred, proba)`` (2-d or for a proba metric: proba)."""
    yp = None if y_pred is None else np.asarray(y_pred)
    pr = None if proba is None else np.asarray(proba, dtype=float)
    if pred is not None:
        arr = np.asarray(pred)
        is_reg = TaskType.REGRESSION in metric.tasks
        if not is_reg and (arr.ndim == 2 or metric.needs_proba):
            pr = arr.astype(float)
        else:
            yp = arr
    if pr is not None and pr.ndim == 1 and TaskType.REGRESSION not in metric.tasks:
        pr = np.column_stack([1.0 - pr, pr])
    return yp, pr


def bootstrap_ci(
    metric: Metric,
    y_true: object,
    pred: object | None = None,
    *,
    y_pred: object | None = None,
    proba: object | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap ``(low, high)`` interval of ``metric`` at level ``1 - alpha``.

    Resamples rows with replacement; resamples where the metric is undefined (nan, e.g. a
    single class for ROC AUC) or raises are skipped. Returns ``(nan, nan)`` when none is usable.
    Built-in metrics are computed for many resamples at once (see ``_fast``); a metric
    without a vectorised twin is computed one resample at a time.
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"bootstrap alpha must be in (0, 1); got {alpha}")
    if n_resamples < 1:
        raise ConfigError(f"bootstrap n_resamples must be >= 1; got {n_resamples}")
    yt = np.asarray(y_true)
    yp, pr = split_prediction(metric, pred, y_pred, proba)
    n = len(yt)
    if n == 0:
        return float("nan"), float("nan")
    if TaskType.REGRESSION not in metric.tasks and not metric.needs_proba and yp is None:
        if pr is None:
            raise ConfigError(f"metric {metric.name!r} needs y_pred or proba")
        yp = labels_from_proba(pr)
    rng = np.random.default_rng(seed)
    vectorised = _VECTORISED.get(metric.func) if _integer_labels(metric, yt, yp) else None
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // max(n, 1)))
    values: list[np.ndarray] = []
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        idx = rng.integers(0, n, size=(size, n))
        if vectorised is not None:
            values.append(
                vectorised(
                    yt[idx], None if yp is None else yp[idx], None if pr is None else pr[idx]
                )
            )
        else:
            values.append(np.array([_safe(metric, yt, yp, pr, row) for row in idx]))
        done += size
    scores = np.concatenate(values)
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(scores, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _integer_labels(metric: Metric, yt: np.ndarray, yp: np.ndarray | None) -> bool:
    """Vectorised classification scores need labels encoded as non-negative ints."""
    if TaskType.REGRESSION in metric.tasks:
        return True
    arrays = [yt] if yp is None else [yt, yp]
    return all(a.dtype.kind in "iub" and (a.size == 0 or a.min() >= 0) for a in arrays)


def _safe(
    metric: Metric,
    yt: np.ndarray,
    yp: np.ndarray | None,
    pr: np.ndarray | None,
    idx: np.ndarray,
) -> float:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return metric.func(
                yt[idx], None if yp is None else yp[idx], None if pr is None else pr[idx]
            )
    except (TunelabError, ValueError):
        return float("nan")


_VECTORISED: dict[object, Vectorised] = {
    m._accuracy: fast.accuracy,
    m._balanced_accuracy: fast.balanced_accuracy,
    m._mcc: fast.mcc,
    m._f1_binary: fast.binary_score("f1"),
    m._precision_binary: fast.binary_score("precision"),
    m._recall_binary: fast.binary_score("recall"),
    m._f1_macro: fast.averaged_score("f1", "macro"),
    m._f1_micro: fast.averaged_score("f1", "micro"),
    m._f1_weighted: fast.averaged_score("f1", "weighted"),
    m._precision_macro: fast.averaged_score("precision", "macro"),
    m._precision_micro: fast.averaged_score("precision", "micro"),
    m._precision_weighted: fast.averaged_score("precision", "weighted"),
    m._recall_macro: fast.averaged_score("recall", "macro"),
    m._recall_micro: fast.averaged_score("recall", "micro"),
    m._recall_weighted: fast.averaged_score("recall", "weighted"),
    m._roc_auc_binary: fast.roc_auc_binary,
    m._roc_auc_ovr: fast.roc_auc_ovr,
    m._roc_auc_ovo: fast.roc_auc_ovo,
    m._average_precision_binary: fast.average_precision_binary,
    m._average_precision_macro: fast.average_precision_macro,
    m._log_loss: fast.log_loss,
    m._r2: fast.r2,
    m._mse: fast.mse,
    m._rmse: fast.rmse,
    m._mae: fast.mae,
    m._median_ae: fast.median_ae,
    m._mape: fast.mape,
    m._rmsle: fast.rmsle,
}
