"""Row splits: a held-out test part plus train/validation folds (positional indices)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from tunelab.entities import ConfigError, SplitConfig, SplitKind, TaskType

Fold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class Splits:
    """Where every row goes. Indices are positions in ``y`` (not index labels).

    ``test_index`` is never inside a fold. For CV every non-test row is in exactly one
    validation fold; for repeated CV, exactly once per repeat (``folds * repeats`` folds).
    """

    test_index: np.ndarray
    folds: list[Fold] = field(default_factory=list)
    kind: SplitKind = SplitKind.CV
    description: str = ""


def make_splits(
    y: Any,
    config: SplitConfig,
    *,
    frame: pd.DataFrame | None = None,
    seed: int = 0,
    task: TaskType | str | None = None,
) -> Splits:
    """Split rows as ``config`` says.

    Args:
        y: the target (any 1-d array-like); stratification uses its values.
        config: kind, ratios, folds, group/time column...
        frame: the table holding ``config.column`` (GROUP, TIME, HOLDOUT with ranges).
        seed: random state for every shuffle.
        task: stratify iff classification; when None, non-float targets are stratified.
    """
    y_arr = np.asarray(y)
    n = len(y_arr)
    if n < 2:
        raise ConfigError(f"cannot split {n} row(s); need at least 2")
    codes = _strata(y_arr, config, task)
    kind = SplitKind(config.kind)
    if kind is SplitKind.HOLDOUT:
        if config.column_ranges is not None:
            return _holdout_by_ranges(config, _column(frame, config, n))
        return _holdout(n, codes, config, seed)
    _check_ratio("test_ratio", config.test_ratio)
    _check_folds(config)
    if kind in (SplitKind.CV, SplitKind.REPEATED_CV):
        return _cv(n, codes, config, seed, repeated=kind is SplitKind.REPEATED_CV)
    if kind is SplitKind.GROUP:
        return _group(n, codes, config, _column(frame, config, n), seed)
    return _time(n, config, None if config.column is None else _column(frame, config, n))


def _strata(y: np.ndarray, config: SplitConfig, task: TaskType | str | None) -> np.ndarray | None:
    """Integer class codes when stratification applies and every class has >= 2 rows."""
    if not config.stratify:
        return None
    if task is not None:
        if not TaskType(task).is_classification:
            return None
    elif y.dtype.kind == "f":
        return None
    codes, uniques = pd.factorize(pd.Series(y), use_na_sentinel=False)
    counts = np.bincount(codes)
    if len(uniques) < 2 or counts.min() < 2:
        return None
    return codes


def _check_ratio(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"split {name} must be in [0, 1); got {value}")


def _check_folds(config: SplitConfig) -> None:
    if config.folds < 2:
        raise ConfigError(f"split folds must be >= 2; got {config.folds}")
    if config.repeats < 1:
        raise ConfigError(f"split repeats must be >= 1; got {config.repeats}")


def _column(frame: pd.DataFrame | None, config: SplitConfig, n: int) -> pd.Series:
    if config.column is None:
        raise ConfigError(f"split kind {config.kind!s} needs split column (field 'column')")
    if frame is None or config.column not in frame.columns:
        raise ConfigError(f"split column {config.column!r} not found in the table")
    if len(frame) != n:
        raise ConfigError(f"split frame has {len(frame)} rows but the target has {n}")
    return frame[config.column].reset_index(drop=True)


def _sizes(n: int, test_ratio: float, codes: np.ndarray | None) -> int:
    """Number of test rows; at least one per class when stratified."""
    if test_ratio == 0:
        return 0
    n_test = max(1, round(n * test_ratio))
    if codes is not None:
        n_test = max(n_test, int(codes.max()) + 1)
    if n_test >= n:
        raise ConfigError(f"split test_ratio {test_ratio} leaves no training rows of {n}")
    return n_test


def _split_off(
    idx: np.ndarray, n_out: int, codes: np.ndarray | None, config: SplitConfig, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split positions ``idx`` into (kept, taken out) with ``n_out`` taken out."""
    if n_out == 0:
        return idx, np.array([], dtype=int)
    if not config.shuffle:
        return idx[: len(idx) - n_out], idx[len(idx) - n_out :]
    strat = None
    if codes is not None:
        sub = codes[idx]
        counts = np.bincount(sub)
        present = counts[counts > 0]
        if present.min() >= 2 and n_out >= present.size and len(idx) - n_out >= present.size:
            strat = sub
    kept, out = train_test_split(idx, test_size=n_out, random_state=seed, stratify=strat)
    return np.sort(kept), np.sort(out)


def _holdout(n: int, codes: np.ndarray | None, config: SplitConfig, seed: int) -> Splits:
    ratios = tuple(float(r) for r in config.ratios)
    if len(ratios) != 3:
        raise ConfigError(f"split ratios must be (train, valid, test); got {config.ratios}")
    for name, value in zip(("train", "valid", "test"), ratios, strict=True):
        _check_ratio(f"ratios.{name}", value)
    if abs(sum(ratios) - 1.0) > 1e-6:
        raise ConfigError(f"split ratios must sum to 1; got {ratios} (sum {sum(ratios):.4g})")
    if ratios[0] <= 0 or ratios[1] <= 0:
        raise ConfigError(f"split ratios.train and ratios.valid must be > 0; got {ratios}")
    idx = np.arange(n)
    rest, test = _split_off(idx, _sizes(n, ratios[2], codes), codes, config, seed)
    n_valid = max(1, round(n * ratios[1]))
    if n_valid >= len(rest):
        raise ConfigError(f"split ratios {ratios} leave no training rows of {n}")
    train, valid = _split_off(rest, n_valid, codes, config, seed + 1)
    desc = f"holdout {ratios[0]:.0%}/{ratios[1]:.0%}/{ratios[2]:.0%}"
    return Splits(test, [(train, valid)], SplitKind.HOLDOUT, _strat_note(desc, codes))


def _holdout_by_ranges(config: SplitConfig, values: pd.Series) -> Splits:
    assert config.column_ranges is not None
    if not pd.api.types.is_numeric_dtype(values):
        raise ConfigError(f"split column {config.column!r} must be numeric for column_ranges")
    v = values.to_numpy(dtype=float, na_value=np.nan)
    parts = []
    for name, (lo, hi) in zip(("train", "valid", "test"), config.column_ranges, strict=True):
        if lo > hi:
            raise ConfigError(f"split column_ranges.{name} has low {lo} > high {hi}")
        parts.append(np.flatnonzero((v >= lo) & (v < hi)))
    train, valid, test = parts
    if len(np.intersect1d(np.concatenate([train, valid]), test)) or len(
        np.intersect1d(train, valid)
    ):
        raise ConfigError(f"split column_ranges overlap on column {config.column!r}")
    for name, part in (("train", train), ("valid", valid)):
        if len(part) == 0:
            raise ConfigError(f"split column_ranges.{name} selects no rows of {config.column!r}")
    desc = f"holdout by ranges of {config.column!r} (low inclusive, high exclusive)"
    return Splits(test, [(train, valid)], SplitKind.HOLDOUT, desc)


def _cv(
    n: int, codes: np.ndarray | None, config: SplitConfig, seed: int, repeated: bool
) -> Splits:
    rest, test = _split_off(np.arange(n), _sizes(n, config.test_ratio, codes), codes, config, seed)
    if len(rest) < config.folds:
        raise ConfigError(f"split folds={config.folds} exceeds the {len(rest)} non-test rows")
    sub = None if codes is None else codes[rest]
    if sub is not None and np.bincount(sub)[np.unique(sub)].min() < 2:
        sub = None
    splitter: Any
    if repeated:
        cls = RepeatedKFold if sub is None else RepeatedStratifiedKFold
        splitter = cls(n_splits=config.folds, n_repeats=config.repeats, random_state=seed)
    else:
        cls = KFold if sub is None else StratifiedKFold
        rs = seed if config.shuffle else None
        splitter = cls(n_splits=config.folds, shuffle=config.shuffle, random_state=rs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class smaller than the fold count
        folds = [(rest[a], rest[b]) for a, b in splitter.split(rest, sub)]
    rep = f" x {config.repeats} repeats" if repeated else ""
    desc = f"{config.folds}-fold CV{rep}, test {len(test)} rows"
    return Splits(
        test, folds, SplitKind.REPEATED_CV if repeated else SplitKind.CV, _strat_note(desc, sub)
    )


def _group(
    n: int, codes: np.ndarray | None, config: SplitConfig, groups: pd.Series, seed: int
) -> Splits:
    gcodes, _ = pd.factorize(groups, use_na_sentinel=False)
    idx = np.arange(n)
    test = np.array([], dtype=int)
    if config.test_ratio > 0:
        gss = GroupShuffleSplit(n_splits=1, test_size=config.test_ratio, random_state=seed)
        keep, out = next(gss.split(idx, groups=gcodes))
        idx, test = np.sort(keep), np.sort(out)
    n_groups = np.unique(gcodes[idx]).size
    if n_groups < config.folds:
        raise ConfigError(
            f"split column {config.column!r} has {n_groups} groups outside the test part; "
            f"need at least folds={config.folds}"
        )
    sub = None if codes is None else codes[idx]
    splitter: Any
    if sub is not None:
        rs = seed if config.shuffle else None
        splitter = StratifiedGroupKFold(config.folds, shuffle=config.shuffle, random_state=rs)
    else:
        splitter = GroupKFold(n_splits=config.folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        folds = [(idx[a], idx[b]) for a, b in splitter.split(idx, sub, groups=gcodes[idx])]
    desc = f"{config.folds}-fold group CV by {config.column!r}, test {len(test)} rows"
    return Splits(test, folds, SplitKind.GROUP, _strat_note(desc, sub))


def _time(n: int, config: SplitConfig, order_by: pd.Series | None) -> Splits:
    if order_by is None:
        order = np.arange(n)
    else:
        order = np.argsort(
            order_by.rank(method="first", na_option="top").to_numpy(), kind="stable"
        )
    n_test = _sizes(n, config.test_ratio, None)
    rest, test = order[: n - n_test], order[n - n_test :]
    if len(rest) <= config.folds:
        raise ConfigError(f"split folds={config.folds} needs more than {len(rest)} non-test rows")
    tss = TimeSeriesSplit(n_splits=config.folds)
    folds = [(np.sort(rest[a]), np.sort(rest[b])) for a, b in tss.split(rest)]
    by = f"ordered by {config.column!r}" if config.column else "in row order"
    desc = f"time split {by}: last {n_test} rows test, {config.folds} expanding folds"
    return Splits(np.sort(test), folds, SplitKind.TIME, desc)


def _strat_note(desc: str, codes: np.ndarray | None) -> str:
    return desc + (", stratified" if codes is not None else "")


def split_summary(splits: Splits, y: Any) -> dict[str, Any]:
    """Row counts (and class counts for label targets) of every part, JSON-ready."""
    y_ser = pd.Series(np.asarray(y))
    labelled = y_ser.dtype.kind != "f" or y_ser.nunique() <= 20

    def part(idx: np.ndarray) -> dict[str, Any]:
        out: dict[str, Any] = {"n": len(idx)}
        if labelled:
            counts = y_ser.iloc[idx].value_counts(dropna=False).sort_index()
            out["class_counts"] = {str(k): int(v) for k, v in counts.items()}
        return out

    return {
        "kind": str(splits.kind),
        "description": splits.description,
        "n_rows": len(y_ser),
        "test": part(splits.test_index),
        "folds": [{"train": part(t), "valid": part(v)} for t, v in splits.folds],
    }
