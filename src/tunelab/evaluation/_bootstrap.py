"""Percentile bootstrap confidence intervals of a metric."""

from __future__ import annotations

import warnings

import numpy as np

from tunelab.entities import ConfigError, TaskType, TunelabError
from tunelab.evaluation._fast_counts import FROM_COUNTS
from tunelab.evaluation._metrics import Metric, labels_from_proba

_CHUNK_CELLS = 4_000_000  # draw counts held in memory at once


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
    draws: dict[tuple[int, int, int], np.ndarray] | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap ``(low, high)`` interval of ``metric`` at level ``1 - alpha``.

    Resamples rows with replacement; resamples where the metric is undefined (nan, e.g. a
    single class for ROC AUC) or raises are skipped. Returns ``(nan, nan)`` when none is usable.
    Built-in metrics score many resamples at once from how often each row was drawn (see
    ``_fast_counts``); another metric is computed one resample at a time.

    ``draws``: a dict shared by several metrics' calls on the same rows (one evaluation):
    the draw counts, the same for every metric of a seed, are then drawn once (kept only
    while they fit in one chunk of ``_CHUNK_CELLS``). The intervals are the same either way.
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
    integer_labels = _integer_labels(metric, yt, yp)
    prepare = FROM_COUNTS.get(metric.func) if integer_labels else None
    from_counts = prepare(yt, yp, pr) if prepare is not None else None
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // max(n, 1)))
    key = (n, n_resamples, seed)
    if from_counts is not None and draws is not None and chunk == n_resamples:
        if key not in draws:
            draws[key] = _draw_counts(rng, n, n_resamples)
        scores = from_counts(draws[key])
        return _interval(scores, alpha)
    values: list[np.ndarray] = []
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        idx = rng.integers(0, n, size=(size, n))
        if from_counts is not None:  # a resample as how often each row was drawn
            values.append(from_counts(_counts(idx, n)))
        else:
            values.append(np.array([_safe(metric, yt, yp, pr, row) for row in idx]))
        done += size
    return _interval(np.concatenate(values), alpha)


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each of ``n`` rows was drawn, per resample (a row of ``idx``)."""
    size = len(idx)
    offset = (np.arange(size) * n)[:, None]
    counts = np.bincount((offset + idx).ravel(), minlength=size * n)
    return counts.reshape(size, n).astype(np.float64)


def _draw_counts(rng: np.random.Generator, n: int, n_resamples: int) -> np.ndarray:
    """The draw counts of ``n_resamples`` resamples in one chunk, drawn as above."""
    return _counts(rng.integers(0, n, size=(n_resamples, n)), n)


def _interval(scores: np.ndarray, alpha: float) -> tuple[float, float]:
    """The percentile interval of the finite ``scores`` (nan, nan when none)."""
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(scores, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _integer_labels(metric: Metric, yt: np.ndarray, yp: np.ndarray | None) -> bool:
    """Scores from draw counts need class labels encoded as non-negative ints."""
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
