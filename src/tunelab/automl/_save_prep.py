"""The data-only parts of saving a run, done before the search.

When a run is saved within its time budget (``tunelab automl``), what the bundle needs
from the data alone (input schema, reference statistics, fingerprint) is computed before
the search, and the cost of scoring one part of the report (all metrics with bootstrap
intervals, on as many rows as the final model's parts) is measured on a constant
prediction. The planner then reserves measured seconds instead of guessed ones, and the
save reuses the data-only parts instead of computing them after the search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tunelab.data import fingerprint
from tunelab.entities import ColumnKind, TaskType
from tunelab.evaluation import evaluate_predictions


@dataclass(frozen=True)
class SavePrep:
    """Data-only parts of the bundle, and measured costs of the save (seconds)."""

    schema: list[Any]
    reference_stats: dict[str, Any]
    fingerprint: str
    data_seconds: float
    evaluate_seconds: float  # one part's metrics with bootstrap intervals
    score_call_seconds: float = 0.0
    evaluate_plain_seconds: float | None = None  # the same without intervals


def constant_output(task: TaskType, y: np.ndarray, n_classes: int) -> np.ndarray:
    """A prediction as cheap as possible with the final model's shape: the class shares
    (classification) or the mean (regression) on every row."""
    if task.is_classification:
        shares = np.bincount(y.astype(np.int64), minlength=n_classes) / max(1, len(y))
        return np.tile(shares, (len(y), 1))
    return np.full(len(y), float(np.mean(y)) if len(y) else 0.0)


# Share of the resamples actually drawn when measuring the intervals' cost (it is linear
# in them); the measurement costs about a tenth of one evaluation with intervals.
MEASURED_SHARE = 0.1


def measure_evaluation(
    task: TaskType, y: np.ndarray, n_classes: int, *, seed: int, n_resamples: int
) -> tuple[float, float]:
    """Seconds one part's metrics take on ``y``'s rows without intervals and with
    ``n_resamples`` bootstrap intervals, measured on a constant prediction (the cost
    depends on rows, classes and resamples, not on the values): once without intervals,
    once with a tenth of the resamples, extrapolated linearly in the resamples."""
    output = constant_output(task, y, n_classes)
    kwargs: dict[str, Any] = {"seed": seed}
    if task.is_classification:
        kwargs.update(proba=output, classes=list(range(n_classes)))
    else:
        kwargs.update(y_pred=output)
    started = time.monotonic()
    evaluate_predictions(task, None, y, with_ci=False, **kwargs)
    plain = time.monotonic() - started
    drawn = max(1, int(n_resamples * MEASURED_SHARE))
    started = time.monotonic()
    evaluate_predictions(task, None, y, n_resamples=drawn, **kwargs)
    with_ci = time.monotonic() - started
    return plain, plain + max(0.0, with_ci - plain) * n_resamples / drawn


SCORE_CALLS = 5  # metric calls timed; the median is kept


def measure_score_call(metric: str, task: TaskType, y: np.ndarray, n_classes: int) -> float:
    """Seconds of one call of the search's metric on ``y``'s rows (what greedy ensemble
    selection repeats for every blend it tries), median of ``SCORE_CALLS`` calls."""
    from tunelab.search import score_prediction

    output = constant_output(task, y, n_classes)
    seconds = []
    for _ in range(SCORE_CALLS):
        started = time.monotonic()
        score_prediction(metric, task, y, output)
        seconds.append(time.monotonic() - started)
    return float(np.median(seconds))


def prepare_save(
    X: pd.DataFrame,
    fit_rows: np.ndarray,
    kinds: dict[str, ColumnKind],
    *,
    task: TaskType,
    y_scored: np.ndarray,
    n_classes: int,
    seed: int,
    n_resamples: int,
    metric: str | None = None,
) -> SavePrep:
    """Compute the bundle's data-only parts and measure one part's evaluation (and, with
    ``metric``, one call of the search's metric on the same rows)."""
    from tunelab.bundles import infer_input_schema, reference_statistics

    started = time.monotonic()
    schema = infer_input_schema(X, kinds)
    stats = reference_statistics(X.iloc[fit_rows], schema)
    text = fingerprint(X)
    data_seconds = time.monotonic() - started
    plain, with_intervals = measure_evaluation(
        task, y_scored, n_classes, seed=seed, n_resamples=n_resamples
    )
    call = 0.0 if metric is None else measure_score_call(metric, task, y_scored, n_classes)
    return SavePrep(schema, stats, text, data_seconds, with_intervals, call, plain)
