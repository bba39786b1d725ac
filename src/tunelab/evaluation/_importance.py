"""Permutation importance on the original input columns (works through a whole pipeline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities import ConfigError
from tunelab.evaluation._bootstrap import split_prediction
from tunelab.evaluation._metrics import Metric


def _score(metric: Metric, y: np.ndarray, out: Any) -> float:
    y_pred, proba = split_prediction(metric, out, None, None)
    return metric.signed(metric.score(y, y_pred=y_pred, proba=proba))


MAX_ROWS_PER_CALL = 200_000  # rows of shuffled copies predicted in one call


def permutation_importance(
    predict_fn: Callable[[pd.DataFrame], Any],
    X: pd.DataFrame,
    y: Any,
    metric: Metric,
    *,
    n_repeats: int = 5,
    seed: int = 0,
    max_rows: int = 5000,
) -> list[tuple[str, float, float]]:
    """Drop in score when each column of ``X`` is shuffled, most important first.

    Args:
        predict_fn: maps a DataFrame like ``X`` to predictions (``proba`` (n, k) for
            classification, 1-d values for regression), e.g. ``pipeline.predict_proba``.
        X: input rows with the original columns; at most ``max_rows`` (random) are used.
        y: true targets (encoded ints for classification).
        metric: the score; drops are in the higher-is-better direction (positive = useful).

    Returns:
        ``(column, mean_drop, std_drop)`` for every column, sorted by ``mean_drop`` descending.
    """
    if n_repeats < 1:
        raise ConfigError(f"permutation importance n_repeats must be >= 1; got {n_repeats}")
    y_arr = np.asarray(y)
    if len(X) != len(y_arr):
        raise ConfigError(f"X has {len(X)} rows but y has {len(y_arr)}")
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y_arr = X.iloc[keep], y_arr[keep]
    X = X.reset_index(drop=True)
    base = _score(metric, y_arr, predict_fn(X))
    n = len(X)
    # Few prediction calls over many shuffled copies: per-call overhead (preprocessing, many
    # ensemble members) dominates otherwise; batches of columns keep the frame bounded.
    per_batch = max(1, MAX_ROWS_PER_CALL // (n * n_repeats))
    results = []
    columns = list(X.columns)
    for start in range(0, len(columns), per_batch):
        batch = columns[start : start + per_batch]
        copies = []
        for column in batch:
            values = X[column].to_numpy()
            for _ in range(n_repeats):
                shuffled = X.copy()
                shuffled[column] = pd.Series(values[rng.permutation(n)], dtype=X[column].dtype)
                copies.append(shuffled)
        out = np.asarray(predict_fn(pd.concat(copies, ignore_index=True)))
        for c, column in enumerate(batch):
            chunks = [
                out[(c * n_repeats + r) * n : (c * n_repeats + r + 1) * n]
                for r in range(n_repeats)
            ]
            drops = np.array([base - _score(metric, y_arr, chunk) for chunk in chunks])
            results.append((str(column), float(np.nanmean(drops)), float(np.nanstd(drops))))
    results.sort(key=lambda item: -item[1] if np.isfinite(item[1]) else np.inf)
    return results
