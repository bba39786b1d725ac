"""Profile a table: per-column statistics, class counts and leakage warnings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tunelab.data._kinds import coerce_series, infer_column_kinds
from tunelab.data._leakage import find_leakage
from tunelab.data._target import prepare_target
from tunelab.entities import ColumnKind, ColumnProfile, DataError, DatasetProfile, TaskType

HISTOGRAM_BINS = 20
TOP_VALUES = 20


def profile_dataset(
    df: pd.DataFrame, target: str | None = None, task: TaskType | str | None = None
) -> DatasetProfile:
    """Profile every column of ``df``; with a target, add class counts and leakage.

    Statistics are computed on the column converted to its kind (so for a mostly-numeric
    column, values that are not numbers count as missing). Numeric columns get
    mean/std/min/max and a 20-bin histogram ``(edges, counts)``; datetimes get min/max as
    ISO strings and 20 equal-width bins labelled by their start; other kinds get the 20
    most frequent values ``(labels, counts)``.

    Raises:
        DataError: the table has duplicate column names, or the target is unusable
            (see ``prepare_target``).
    """
    _check_unique_columns(df)
    kinds = infer_column_kinds(df)
    columns = tuple(_profile_column(df[col], str(col), kinds[str(col)]) for col in df.columns)
    if target is None:
        return DatasetProfile(n_rows=len(df), n_columns=df.shape[1], columns=columns)
    prepared = prepare_target(df, target, task)
    class_counts: dict[str, int] = {}
    if prepared.task.is_classification:
        counts = prepared.y.astype(str).value_counts()
        class_counts = {str(k): int(v) for k, v in counts.items()}
    feature_kinds = {k: v for k, v in kinds.items() if k != target}
    leakage = find_leakage(prepared.X, prepared.y, prepared.task, kinds=feature_kinds)
    return DatasetProfile(
        n_rows=len(df),
        n_columns=df.shape[1],
        columns=columns,
        target=target,
        task=prepared.task.value,
        class_counts=class_counts,
        n_target_missing=prepared.n_dropped_missing_target,
        leakage=leakage,
    )


def _check_unique_columns(df: pd.DataFrame) -> None:
    names = [str(c) for c in df.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"the table has duplicate column names: {', '.join(map(repr, dupes))}")


def _profile_column(raw: pd.Series, name: str, kind: ColumnKind) -> ColumnProfile:
    base: dict[str, Any] = {"name": name, "kind": kind, "dtype": str(raw.dtype)}
    if kind in (ColumnKind.CATEGORICAL, ColumnKind.TEXT, ColumnKind.ID):
        # string columns are counted as they are: converting them is the slow part
        s = raw if isinstance(raw.dtype, pd.StringDtype) else coerce_series(raw, kind)
        counts = s.value_counts(dropna=True)
        base.update(_missing(s), n_unique=len(counts))
        if counts.empty:
            return ColumnProfile(**base)
        return ColumnProfile(
            **base, most_frequent=str(counts.index[0]), histogram=_top_values(counts)
        )
    s = coerce_series(raw, kind)
    values = s.dropna()
    base.update(_missing(s), n_unique=int(values.nunique()))
    if values.empty:
        return ColumnProfile(**base)
    if kind is ColumnKind.DATETIME:
        return ColumnProfile(**base, **_datetime_stats(values))
    labels = raw.dropna().value_counts() if kind is ColumnKind.BOOLEAN else None
    return ColumnProfile(**base, **_numeric_stats(values, labels))


def _missing(s: pd.Series) -> dict[str, Any]:
    n_missing = int(s.isna().sum())
    return {"n_missing": n_missing, "missing_ratio": n_missing / len(s) if len(s) else 0.0}


def _numeric_stats(values: pd.Series, labels: pd.Series | None) -> dict[str, Any]:
    """Numeric statistics; a boolean column passes its raw ``labels`` counts."""
    arr = values.to_numpy(dtype=float)
    finite = arr[np.isfinite(arr)]
    counts = values.value_counts() if labels is None else labels
    stats: dict[str, Any] = {"most_frequent": _plain(counts.index[0])}
    if finite.size:
        stats.update(
            mean=float(finite.mean()),
            std=float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
            min=float(finite.min()),
            max=float(finite.max()),
        )
    if labels is not None:
        stats["histogram"] = _top_values(labels)
    elif finite.size:
        edges, hist = _histogram(finite)
        stats["histogram"] = (tuple(float(e) for e in edges), tuple(int(c) for c in hist))
    return stats


def _datetime_stats(values: pd.Series) -> dict[str, Any]:
    tz = values.dt.tz
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None) if tz is not None else values
    edges, hist = _histogram(naive.astype("datetime64[ns]").astype("int64").to_numpy(float))
    starts = pd.to_datetime(edges[:-1].astype("int64"), unit="ns", utc=tz is not None)
    if tz is not None:
        starts = starts.tz_convert(tz)
    return {
        "min": values.min().isoformat(),
        "max": values.max().isoformat(),
        "most_frequent": values.value_counts().index[0].isoformat(),
        "histogram": (tuple(t.isoformat() for t in starts), tuple(int(c) for c in hist)),
    }


def _histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """20 equal-width bins; a constant column gets one bin ``(value, value)``."""
    low, high = values.min(), values.max()
    if low == high or not np.isfinite(high - low):
        return np.array([low, high]), np.array([values.size])
    hist, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high))
    return edges, hist


def _top_values(counts: pd.Series) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    top = counts.iloc[:TOP_VALUES]
    return tuple(str(_plain(v)) for v in top.index), tuple(int(c) for c in top.to_numpy())


def _plain(value: Any) -> Any:
    """Numpy scalars -> Python scalars."""
    return value.item() if isinstance(value, np.generic) else value
