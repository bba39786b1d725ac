"""All metrics of a task, with bootstrap intervals and plot data, for one set of predictions."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunelab.entities import ConfigError, TaskType, TunelabError
from tunelab.evaluation._bootstrap import bootstrap_ci
from tunelab.evaluation._curves import classification_curves, regression_plot_data
from tunelab.evaluation._metrics import _task, get_metric, labels_from_proba, list_metrics


def _none_if_nan(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def evaluate_predictions(
    task: TaskType | str,
    metric_names: Sequence[str] | None,
    y_true: Any,
    *,
    proba: Any | None = None,
    y_pred: Any | None = None,
    classes: Sequence[Any] | None = None,
    with_ci: bool = True,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    with_curves: bool = True,
) -> dict[str, Any]:
    """Score predictions with ``metric_names`` (all metrics of ``task`` when None).

    Returns a JSON-ready dict: ``metrics`` maps each name to ``value``, ``ci_low``,
    ``ci_high`` (None without CI or when undefined) and ``greater_is_better``; ``skipped``
    maps metrics that cannot be computed here (e.g. rmsle with negative targets) to the
    reason; ``curves`` holds the plot data (``classification_curves`` or
    ``regression_plot_data``).
    """
    task = _task(task)
    yt = np.asarray(y_true)
    pr = None if proba is None else np.asarray(proba, dtype=float)
    if task.is_classification:
        if pr is None and y_pred is None:
            raise ConfigError("evaluate_predictions needs proba or y_pred for classification")
        if pr is not None and pr.ndim == 1:
            pr = np.column_stack([1.0 - pr, pr])
        yp = labels_from_proba(pr) if y_pred is None and pr is not None else np.asarray(y_pred)
    else:
        if y_pred is None:
            raise ConfigError("evaluate_predictions needs y_pred for regression")
        yp = np.asarray(y_pred, dtype=float)
    names = list(metric_names) if metric_names else list_metrics(task)
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    draws: dict[tuple[int, int, int], np.ndarray] = {}  # shared by the metrics' intervals
    for name in dict.fromkeys(names):
        metric = get_metric(name, task)
        if metric.needs_proba and pr is None:
            skipped[metric.name] = "needs class probabilities"
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = metric.score(yt, y_pred=yp, proba=pr)
        except TunelabError as exc:
            skipped[metric.name] = str(exc)
            continue
        low = high = float("nan")
        if with_ci and np.isfinite(value):
            low, high = bootstrap_ci(
                metric,
                yt,
                y_pred=yp,
                proba=pr,
                n_resamples=n_resamples,
                seed=seed,
                alpha=alpha,
                draws=draws,
            )
        results[metric.name] = {
            "value": _none_if_nan(value),
            "ci_low": _none_if_nan(low),
            "ci_high": _none_if_nan(high),
            "greater_is_better": metric.greater_is_better,
        }
    curves: dict[str, Any] = {}
    if with_curves and len(yt) > 0:
        if task.is_classification and pr is not None:
            curves = classification_curves(yt, pr, classes)
        elif not task.is_classification:
            curves = regression_plot_data(yt, yp, seed=seed)
    return {
        "task": task.value,
        "n_rows": len(yt),
        "metrics": results,
        "skipped": skipped,
        "curves": curves,
    }
