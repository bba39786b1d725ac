"""Input schema of a bundle and validation of prediction input against it."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities import ColumnKind, SchemaError

MAX_CATEGORIES = 1000
_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}


@dataclass(frozen=True)
class ColumnSchema:
    """One input column as seen at training time.

    ``categories`` lists the allowed (seen) values of categorical/boolean columns, capped at
    ``MAX_CATEGORIES`` (``categories_truncated`` then True); unseen values are still accepted.
    """

    name: str
    kind: str
    dtype: str
    categories: tuple[Any, ...] | None = None
    categories_truncated: bool = False
    nullable: bool = True

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["categories"] = None if self.categories is None else list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSchema:
        cats = data.get("categories")
        return cls(
            name=str(data["name"]),
            kind=str(ColumnKind(data["kind"])),
            dtype=str(data.get("dtype", "")),
            categories=None if cats is None else tuple(cats),
            categories_truncated=bool(data.get("categories_truncated", False)),
            nullable=bool(data.get("nullable", True)),
        )


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _guess_kind(series: pd.Series) -> ColumnKind:
    if pd.api.types.is_bool_dtype(series):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_numeric_dtype(series):
        return ColumnKind.NUMERIC
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnKind.DATETIME
    return ColumnKind.CATEGORICAL


def infer_input_schema(
    X: pd.DataFrame,
    kinds: Mapping[str, ColumnKind | str] | None = None,
    *,
    max_categories: int = MAX_CATEGORIES,
) -> list[ColumnSchema]:
    """Schema of the training input ``X``; ``kinds`` overrides the dtype-based kind guess."""
    schema = []
    for name in X.columns:
        series = X[name]
        kind = ColumnKind(kinds[name]) if kinds and name in kinds else _guess_kind(series)
        cats: tuple[Any, ...] | None = None
        truncated = False
        if kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
            counts = series.dropna().value_counts()
            truncated = len(counts) > max_categories
            values = [_native(v) for v in counts.index[:max_categories]]
            cats = tuple(sorted(values, key=lambda v: (type(v).__name__, str(v))))
        schema.append(
            ColumnSchema(
                name=str(name),
                kind=str(kind),
                dtype=str(series.dtype),
                categories=cats,
                categories_truncated=truncated,
                nullable=bool(series.isna().any()),
            )
        )
    return schema


def _first_bad(original: pd.Series, coerced: pd.Series, column: str, expected: str) -> None:
    _raise_first(original, (coerced.isna() & original.notna()).to_numpy(), column, expected)


def _raise_first(original: pd.Series, bad: np.ndarray, column: str, expected: str) -> None:
    if bad.any():
        pos = int(np.argmax(bad))
        raise SchemaError(
            f"column {column!r}: value {original.iloc[pos]!r} at row {original.index[pos]!r} "
            f"is not {expected}"
        )


def _is_numeric_dtype_name(dtype: str) -> bool:
    return dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float"))


def _coerce(series: pd.Series, col: ColumnSchema) -> pd.Series:
    kind = ColumnKind(col.kind)
    if kind is ColumnKind.NUMERIC or (
        kind is ColumnKind.CATEGORICAL and _is_numeric_dtype_name(col.dtype)
    ):
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            return series
        text = series.map(lambda v: v.strip() if isinstance(v, str) else v)
        coerced = pd.to_numeric(text.replace("", np.nan), errors="coerce")
        _first_bad(series, coerced, col.name, "a number")
        return coerced
    if kind is ColumnKind.BOOLEAN:
        if pd.api.types.is_bool_dtype(series):
            return series
        return _to_bool(series, col.name)
    if kind is ColumnKind.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(series):
            return series
        coerced = pd.to_datetime(series, errors="coerce")
        _first_bad(series, coerced, col.name, "a date/time")
        return coerced
    if pd.api.types.is_string_dtype(series) or series.dtype == object:
        return series
    return series.astype("str").where(series.notna(), np.nan)


_BAD = object()


def _bool_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return _BAD


def _to_bool(series: pd.Series, column: str) -> pd.Series:
    coerced = series.map(_bool_value).astype(object)
    _raise_first(series, np.array([v is _BAD for v in coerced]), column, "true/false")
    if coerced.isna().any():
        return coerced.astype("boolean")
    return coerced.astype(bool)


def validate_frame(df: pd.DataFrame, schema: Sequence[ColumnSchema]) -> pd.DataFrame:
    """Check ``df`` against ``schema`` and return its schema columns, coerced, in schema order.

    Raises SchemaError for an empty frame, missing columns, or values that cannot be coerced
    to the column kind (naming the column and the first bad row). Extra columns are ignored
    with a warning naming them.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"prediction input must be a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise SchemaError("prediction input has no rows")
    names = [c.name for c in schema]
    present = {str(c) for c in df.columns}
    missing = [n for n in names if n not in present]
    if missing:
        raise SchemaError(f"prediction input is missing column(s): {', '.join(missing)}")
    extra = [str(c) for c in df.columns if str(c) not in set(names)]
    if extra:
        warnings.warn(
            f"ignoring column(s) not used by the model: {', '.join(extra)}",
            UserWarning,
            stacklevel=3,
        )
    frame = df.rename(columns=str)
    out = {col.name: _coerce(frame[col.name], col) for col in schema}
    return pd.DataFrame(out, index=df.index)
