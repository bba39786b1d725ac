"""Find features that alone predict the target almost perfectly (target leakage)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tunelab.data._kinds import coerce_series, infer_column_kinds
from tunelab.entities import ColumnKind, LeakageWarning, TaskType

LEAKAGE_THRESHOLD = 0.99
MAX_ROWS = 5_000
N_FOLDS = 3
LOOKUP_MAX_UNIQUE = 64  # numeric features with more values are binned first
N_BINS = 64
_SKIPPED = (ColumnKind.ID, ColumnKind.TEXT)


def find_leakage(
    X: pd.DataFrame,
    y: pd.Series,
    task: TaskType | str,
    *,
    kinds: Mapping[str, ColumnKind] | None = None,
    seed: int = 0,
) -> tuple[LeakageWarning, ...]:
    """Warn about features that alone predict ``y`` almost perfectly.

    Each feature (id and text columns skipped) is scored on at most 5,000 sampled rows by
    3-fold cross-validation of a one-feature model that predicts, for each value, the
    majority class (or mean target) seen in training; numbers and datetimes with more
    than 64 values are first cut into 64 quantile bins (like a one-feature tree with 64
    leaves; a depth-3 tree's 8 leaves cannot reach R² 0.99 even on a copy of the
    target), and for regression a straight-line fit is tried too. A warning is raised
    when the balanced accuracy (classification) or R² (regression) reaches 0.99, or
    when the feature equals the target.
    ``kinds`` (from ``infer_column_kinds`` on the full table) avoids re-inferring them
    on the sample.
    """
    task = TaskType(task)
    present = y.notna().to_numpy()
    X, y = X.loc[present], y[present]
    if len(y) < 2 * N_FOLDS or y.nunique() < 2:
        return ()
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(y), size=min(MAX_ROWS, len(y)), replace=False))
    X_s = X.iloc[rows].reset_index(drop=True)
    y_s = y.iloc[rows].reset_index(drop=True)
    kinds = dict(kinds) if kinds is not None else infer_column_kinds(X_s)
    target = _encode_target(y_s, task)
    if not task.is_classification:
        usable = np.isfinite(target)
        X_s, y_s = X_s[usable].reset_index(drop=True), y_s[usable].reset_index(drop=True)
        target = target[usable]
        if len(target) < 2 * N_FOLDS:
            return ()
    folds = _fold_ids(len(y_s), rng)
    warnings = []
    for col in X_s.columns:
        kind = kinds.get(str(col), ColumnKind.CATEGORICAL)
        if kind in _SKIPPED:
            continue
        if _same_as_target(X_s[col], y_s):
            warnings.append(
                LeakageWarning(
                    column=str(col),
                    score=1.0,
                    metric="identical",
                    message=f"column {col!r} is identical to the target {y.name!r}",
                )
            )
            continue
        score = _score_feature(coerce_series(X_s[col], kind), kind, target, task, folds)
        if score >= LEAKAGE_THRESHOLD:
            metric = "balanced_accuracy" if task.is_classification else "r2"
            warnings.append(
                LeakageWarning(
                    column=str(col),
                    score=round(score, 4),
                    metric=metric,
                    message=(
                        f"column {col!r} alone predicts the target {y.name!r} with "
                        f"cross-validated {metric} {score:.3f}; it may leak the answer "
                        "(known only after the outcome)"
                    ),
                )
            )
    return tuple(warnings)


def _encode_target(y: pd.Series, task: TaskType) -> np.ndarray:
    if task.is_classification:
        codes, _ = pd.factorize(y.astype(str), sort=True)
        return codes.astype(np.int64)
    return pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)


def _fold_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(np.arange(n) % N_FOLDS)


def _same_as_target(x: pd.Series, y: pd.Series) -> bool:
    if x.isna().any() or x.nunique() != y.nunique():
        return False
    x_num, y_num = _as_float(x), _as_float(y)
    if x_num.notna().all() and y_num.notna().all():
        return bool(np.array_equal(x_num.to_numpy(float), y_num.to_numpy(float)))
    return bool((x.astype(str).to_numpy() == y.astype(str).to_numpy()).all())


def _as_float(s: pd.Series) -> pd.Series:
    values = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float)
    return pd.to_numeric(values, errors="coerce").astype(float)


def _score_feature(
    x: pd.Series, kind: ColumnKind, target: np.ndarray, task: TaskType, folds: np.ndarray
) -> float:
    if kind is ColumnKind.DATETIME:
        kind = ColumnKind.NUMERIC
        x = coerce_series(x, kind)  # nanoseconds since the epoch
    if kind is ColumnKind.NUMERIC and x.nunique() > LOOKUP_MAX_UNIQUE:
        values = x.to_numpy(dtype=float)
        binned = _lookup_score(_quantile_bins(values), target, task, folds)
        if task.is_classification:
            return binned
        return max(binned, _linear_score(values, target, folds))
    return _lookup_score(x, target, task, folds)


def _linear_score(x: np.ndarray, target: np.ndarray, folds: np.ndarray) -> float:
    """Out-of-fold R² of a straight line: catches the target in other units."""
    pred = np.empty(len(target))
    finite = np.isfinite(x)
    for fold in range(N_FOLDS):
        train, test = (folds != fold) & finite, folds == fold
        if train.sum() < 2 or np.ptp(x[train]) == 0:
            return 0.0
        slope, intercept = np.polyfit(x[train], target[train], deg=1)
        pred[test] = np.where(finite[test], slope * x[test] + intercept, target[train].mean())
    return _score(target, pred, TaskType.REGRESSION)


def _quantile_bins(x: np.ndarray) -> pd.Series:
    """Bin numbers into up to 64 quantile bins: a one-feature tree with 64 leaves."""
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return pd.Series(np.zeros(len(x), dtype=np.int64))
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, N_BINS + 1)))
    bins = np.searchsorted(edges[1:-1], x, side="right").astype(np.int64)
    bins[np.isnan(x)] = -1
    return pd.Series(bins)


def _score(target: np.ndarray, pred: np.ndarray, task: TaskType) -> float:
    """Balanced accuracy (mean recall over classes) or R², in plain numpy for speed."""
    if task.is_classification:
        per_class = np.bincount(target)
        hits = np.bincount(target[pred == target], minlength=len(per_class))
        present = per_class > 0
        return float(np.mean(hits[present] / per_class[present]))
    total = float(np.sum((target - target.mean()) ** 2))
    if total == 0.0:
        return 0.0
    return 1.0 - float(np.sum((target - pred) ** 2)) / total


def _lookup_score(x: pd.Series, target: np.ndarray, task: TaskType, folds: np.ndarray) -> float:
    """Out-of-fold score of predicting each value's majority class (or mean target)."""
    keys, uniques = pd.factorize(x, use_na_sentinel=True)
    keys = np.where(keys < 0, len(uniques), keys)  # missing values form their own group
    n_keys = len(uniques) + 1
    pred = np.empty(len(target), dtype=target.dtype)
    for fold in range(N_FOLDS):
        train, test = folds != fold, folds == fold
        seen = np.bincount(keys[train], minlength=n_keys) > 0
        if task.is_classification:
            n_classes = int(target.max()) + 1
            pairs = keys[train] * n_classes + target[train]
            table = np.bincount(pairs, minlength=n_keys * n_classes).reshape(n_keys, n_classes)
            lookup = table.argmax(axis=1)
            fallback = np.bincount(target[train]).argmax()
        else:
            sums = np.bincount(keys[train], weights=target[train], minlength=n_keys)
            lookup = sums / np.maximum(np.bincount(keys[train], minlength=n_keys), 1)
            fallback = target[train].mean()
        test_keys = keys[test]
        pred[test] = np.where(seen[test_keys], lookup[test_keys], fallback)
    return _score(target, pred, task)
