"""From a table to encoded training data, folds and a search plan."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tunelab.automl._split_rule import AutoSplit, auto_split
from tunelab.entities import (
    ConfigError,
    SamplingConfig,
    SplitConfig,
    TaskType,
)
from tunelab.evaluation import Splits, make_splits
from tunelab.search import Fold


@dataclass(frozen=True)
class EncodedTarget:
    """The target as the engine sees it: class indices 0..k-1, or floats."""

    y: np.ndarray
    classes: np.ndarray  # original labels in index order; empty for regression

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def encode_target(y: pd.Series, task: TaskType) -> EncodedTarget:
    """Encode labels as 0..k-1 (sorted labels) or regression values as float64."""
    if task is TaskType.REGRESSION:
        return EncodedTarget(y=y.to_numpy(dtype=np.float64), classes=np.array([]))
    values = y.to_numpy()
    classes, codes = np.unique(values, return_inverse=True)
    return EncodedTarget(y=codes.astype(np.int64), classes=classes)


def keep_classes_trainable(
    splits: Splits, y: np.ndarray, n_classes: int
) -> tuple[np.ndarray, list[Fold]]:
    """Move rows so that every class is present in the non-test part and every training fold.

    A class seen only in the test part, or missing from a fold's training rows (a class with a
    single row), cannot be learned there: those rows move into training (and out of the test
    part or the fold's validation rows).
    """
    test = np.asarray(splits.test_index, dtype=np.int64)
    if n_classes:
        in_train = np.ones(len(y), dtype=bool)
        in_train[test] = False
        missing = np.setdiff1d(np.arange(n_classes), np.unique(y[in_train]))
        if len(missing):
            test = test[~np.isin(y[test], missing)]
    folds: list[Fold] = []
    for train, valid in splits.folds:
        train = np.asarray(train, dtype=np.int64)
        valid = np.asarray(valid, dtype=np.int64)
        if n_classes:
            absent = np.setdiff1d(np.unique(y[valid]), np.unique(y[train]))
            if len(absent):
                moving = np.isin(y[valid], absent)
                train = np.sort(np.concatenate([train, valid[moving]]))
                valid = valid[~moving]
        folds.append((train, valid))
    return test, folds


def to_local_folds(folds: list[Fold], rows: np.ndarray, n_total: int) -> list[Fold]:
    """Re-express folds over ``rows`` (positions in the full table) as positions in ``rows``."""
    local = np.full(n_total, -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    out = []
    for train, valid in folds:
        t, v = local[train], local[valid]
        out.append((t[t >= 0], v[v >= 0]))
    return [(t, v) for t, v in out if len(t) and len(v)]


def subsample_rows(
    rows: np.ndarray, y: np.ndarray, sampling: SamplingConfig | None, task: TaskType, seed: int
) -> np.ndarray:
    """Rows kept by ``sampling.ratio``/``sampling.size`` (stratified for classification)."""
    if sampling is None or (sampling.ratio is None and sampling.size is None):
        return rows
    if sampling.ratio is not None and not 0 < sampling.ratio <= 1:
        raise ConfigError(f"sampling.ratio must be in (0, 1], got {sampling.ratio}")
    if sampling.size is not None and sampling.size < 2:
        raise ConfigError(f"sampling.size must be at least 2, got {sampling.size}")
    size = len(rows)
    if sampling.ratio is not None:
        size = round(len(rows) * sampling.ratio)
    if sampling.size is not None:
        size = min(size, sampling.size)
    if size >= len(rows):
        return rows
    rng = np.random.default_rng(seed)
    if not task.is_classification:
        return np.sort(rng.choice(rows, size=size, replace=False))
    picked = []
    for label in np.unique(y[rows]):
        members = rows[y[rows] == label]
        share = max(1, round(size * len(members) / len(rows)))
        picked.append(rng.choice(members, size=min(share, len(members)), replace=False))
    return np.sort(np.concatenate(picked))


def _rows_to_fit(n_rows: int, test_ratio: float, sampling: SamplingConfig | None) -> int:
    """Rows the search will fit on: the non-test part, after ``sampling.ratio``/``size``."""
    rows = round(n_rows * (1.0 - test_ratio))
    if sampling is not None and sampling.ratio is not None and 0 < sampling.ratio <= 1:
        rows = round(rows * sampling.ratio)
    if sampling is not None and sampling.size is not None:
        rows = min(rows, sampling.size)
    return rows


@dataclass(frozen=True)
class PlannedSplits:
    """Test rows, fit rows (positions), folds local to the fit rows, and a description."""

    test: np.ndarray
    fit_rows: np.ndarray
    folds: list[Fold]
    description: str
    auto: AutoSplit | None  # the default's choice and reason; None for a user's split


def plan_splits(
    y: np.ndarray,
    frame: pd.DataFrame,
    split: SplitConfig | None,
    *,
    task: TaskType,
    n_classes: int,
    sampling: SamplingConfig | None,
    seed: int,
    test_ratio: float,
    n_columns: int,
    time_budget: float | None,
) -> PlannedSplits:
    """Cut the rows as ``split`` says, or by the default rule (``auto_split``) when None."""
    auto, config = None, split
    if config is None:
        n_fit = _rows_to_fit(len(y), test_ratio, sampling)
        auto = auto_split(n_fit, n_columns, time_budget, test_ratio)
        config = auto.config
    splits = make_splits(y, config, frame=frame, seed=seed, task=task)
    test, folds = keep_classes_trainable(splits, y, n_classes)
    in_fit = np.ones(len(y), dtype=bool)
    in_fit[test] = False
    fit_rows = subsample_rows(np.flatnonzero(in_fit), y, sampling, task, seed)
    local = to_local_folds(folds, fit_rows, len(y))
    if not local:
        raise ConfigError(
            "the split left no fold with both training and validation rows; "
            "use more data, fewer folds or a larger validation ratio"
        )
    return PlannedSplits(test, fit_rows, local, splits.description, auto)
