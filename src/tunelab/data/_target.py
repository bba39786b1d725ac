"""Choose the task for a target column and split a table into features and target."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tunelab.data._kinds import NUMERIC_PARSE_RATIO
from tunelab.entities import ConfigError, DataError, TaskType

MAX_CLASS_CODES = 20  # integer targets with more distinct values are treated as amounts
CLASS_CODE_ROW_SHARE = 0.05


@dataclass(frozen=True)
class PreparedTarget:
    """Features and target ready for modelling (rows with a missing target removed).

    ``X`` and ``y`` share a fresh 0..n-1 index, so positions and labels agree.
    """

    X: pd.DataFrame
    y: pd.Series
    task: TaskType
    n_dropped_missing_target: int


def infer_task(y: pd.Series) -> TaskType:
    """Guess the task from the target values (missing values are ignored).

    Booleans, strings and anything with at most two distinct values are classification
    (binary with two classes, multiclass above). Non-integer numbers are regression.
    Integers are multiclass when there are 3 to 20 distinct values and either they are
    few (at most 5% of the rows) or they look like class codes (consecutive from 0 or 1);
    otherwise regression. Pass the task explicitly when the guess is wrong.
    """
    name = str(y.name)
    values = y.dropna()
    if values.empty:
        raise DataError(f"target {name!r} has no values (all missing)")
    numbers = _as_numbers(values)
    n_unique = int(values.nunique())
    if numbers is None:
        return TaskType.BINARY if n_unique <= 2 else TaskType.MULTICLASS
    n_unique = int(numbers.nunique())
    if n_unique <= 2:
        return TaskType.BINARY
    floats = numbers.to_numpy(dtype=float)
    if not _integral(floats):
        return TaskType.REGRESSION
    uniques = np.unique(floats)
    codes = uniques[0] in (0.0, 1.0) and uniques[-1] - uniques[0] + 1 <= 1.5 * n_unique
    few = n_unique <= CLASS_CODE_ROW_SHARE * len(floats)
    if n_unique <= MAX_CLASS_CODES and (few or codes):
        return TaskType.MULTICLASS
    return TaskType.REGRESSION


def _as_numbers(values: pd.Series) -> pd.Series | None:
    """The values as numbers, or None when they are labels (strings, bools, categories)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_numeric_dtype(dtype):
        return values.astype("float64")
    if values.map(type).isin([bool, np.bool_]).any():
        return None
    counts = values.value_counts()
    parsed = pd.to_numeric(pd.Series(counts.index, dtype=object), errors="coerce").notna()
    share = counts.to_numpy()[parsed.to_numpy()].sum() / counts.sum()
    if share < NUMERIC_PARSE_RATIO:
        return None
    return pd.to_numeric(values, errors="coerce").dropna().astype("float64")


def _integral(floats: np.ndarray) -> bool:
    finite = floats[np.isfinite(floats)]
    return bool(finite.size == floats.size and np.all(np.mod(finite, 1) == 0))


def prepare_target(
    df: pd.DataFrame, target: str, task: TaskType | str | None = None
) -> PreparedTarget:
    """Split ``df`` into features and target, dropping rows whose target is missing.

    A given ``task`` is checked against the target. Numbers stored as text become numbers
    for regression (values that do not parse count as missing). Whole-number float labels
    (0.0/1.0) become integers for classification.

    Raises:
        DataError: the target column is absent (close names are listed), all missing,
            constant, or does not suit the task.
        ConfigError: ``task`` is not a known task type.
    """
    if target not in df.columns:
        raise DataError(_missing_column_message(target, [str(c) for c in df.columns]))
    wanted = _parse_task(task)
    y = df[target]
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = y.astype(y.cat.categories.dtype)
    present = y.dropna()
    if present.empty:
        raise DataError(f"target {target!r} is missing in every row")
    _check_not_constant(present, target)
    resolved = wanted if wanted is not None else infer_task(present)
    if resolved is TaskType.REGRESSION:
        if _as_numbers(present) is None:
            sample = ", ".join(repr(v) for v in present.unique()[:3])
            raise DataError(
                f"target {target!r} is not numeric (e.g. {sample}); regression needs numbers"
            )
        if not _is_plain_numeric(y):
            y = pd.to_numeric(y, errors="coerce")  # unparsable values count as missing
    keep = y.notna().to_numpy()
    y = y[keep].reset_index(drop=True)
    _check_not_constant(y, target)
    y = _check_task(y, resolved, target)
    X = df.loc[keep, [c for c in df.columns if c != target]].reset_index(drop=True)
    return PreparedTarget(X=X, y=y, task=resolved, n_dropped_missing_target=int((~keep).sum()))


def _check_not_constant(values: pd.Series, target: str) -> None:
    if values.nunique() < 2:
        raise DataError(
            f"target {target!r} is constant (only value {values.iloc[0]!r}); "
            "a model needs at least two classes or values"
        )


def _parse_task(task: TaskType | str | None) -> TaskType | None:
    if task is None or isinstance(task, TaskType):
        parsed = task
    else:
        try:
            parsed = TaskType(str(task).strip().lower())
        except ValueError as exc:
            known = ", ".join(t.value for t in TaskType if t.is_supervised)
            raise ConfigError(f"unknown task {task!r}; known tasks: {known}") from exc
    if parsed is TaskType.CLUSTERING:
        raise ConfigError(
            "task 'clustering' has no target: use tunelab.ClusteringAutoML "
            "(or `tunelab automl DATA --task clustering`)"
        )
    return parsed


def _is_plain_numeric(y: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype)


def _check_task(y: pd.Series, task: TaskType, target: str) -> pd.Series:
    if task is TaskType.REGRESSION:
        return y.astype("float64")
    n_classes = int(y.nunique())
    if task is TaskType.BINARY and n_classes != 2:
        raise DataError(
            f"target {target!r} has {n_classes} classes; binary needs exactly 2 (use multiclass)"
        )
    if task is TaskType.MULTICLASS and n_classes < 3:
        raise DataError(f"target {target!r} has 2 classes; use binary, not multiclass")
    if pd.api.types.is_float_dtype(y.dtype):
        floats = y.to_numpy(dtype=float)
        if not _integral(floats):
            raise DataError(
                f"target {target!r} holds fractional numbers ({n_classes} distinct); "
                f"{task.value} needs class labels (use regression)"
            )
        return y.astype("int64")
    return y


def _missing_column_message(target: str, columns: list[str]) -> str:
    lowered = {c.lower().strip(): c for c in columns}
    close = difflib.get_close_matches(target, columns, n=3, cutoff=0.6)
    exact_ci = lowered.get(target.lower().strip())
    if exact_ci is not None and exact_ci not in close:
        close.insert(0, exact_ci)
    if close:
        hint = "close matches: " + ", ".join(repr(c) for c in close)
    else:
        shown = ", ".join(repr(c) for c in columns[:10])
        hint = f"columns: {shown}" + (", ..." if len(columns) > 10 else "")
    return f"target column {target!r} not found; {hint}"
