"""Infer what each column holds (ColumnKind) and convert columns to their kind's dtype."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from tunelab.entities import ColumnKind, DataError

NUMERIC_PARSE_RATIO = 0.95  # strings that parse as numbers this often make a numeric column
DATETIME_PARSE_RATIO = 0.9
TEXT_MIN_MEAN_LENGTH = 30
_DATETIME_SAMPLE = 500
_MIN_ROWS_FOR_UNIQUE_STRING_ID = 20
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_ID_NAME = re.compile(r"(^|[\s_.\-])(id|ids|uuid|guid|key|index|idx|code)$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9](Id|ID|Key|Code)$")
_LEADING_ZERO = re.compile(r"^0\d")
_DATE_LIKE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}|\d{1,2}:\d{2}|\d{4}\s*년")


def looks_like_id_name(name: str) -> bool:
    """True for names like ``id``, ``user_id``, ``customerId``, ``row key``."""
    return bool(_ID_NAME.search(name.strip()) or _CAMEL_ID.search(name.strip()))


def infer_column_kinds(df: pd.DataFrame) -> dict[str, ColumnKind]:
    """Infer the kind of every column of ``df`` (vectorised; safe on mixed-type columns).

    Rules, in order: all missing -> categorical; bool dtype or true/false strings ->
    boolean; datetime dtype or date strings in >= 90% of rows -> datetime; numbers (or
    strings of which >= 95% parse as numbers; the rest become missing) -> numeric, unless
    an integer column is unique per row and named like an id or strictly monotonic (id),
    or is named like an id with repeated values (a code: categorical); long free text ->
    text; strings unique per row without spaces -> id; anything else -> categorical.
    """
    return {str(name): infer_column_kind(df[name], str(name)) for name in df.columns}


def infer_column_kind(s: pd.Series, name: str | None = None) -> ColumnKind:
    """Infer the kind of one column (see ``infer_column_kinds``)."""
    name = str(s.name) if name is None else name
    if isinstance(s, pd.DataFrame):
        raise DataError(f"column {name!r} is duplicated in the table")
    dtype = s.dtype
    if not s.notna().any():
        return ColumnKind.CATEGORICAL
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if pd.api.types.is_timedelta64_dtype(dtype):
        return ColumnKind.NUMERIC
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return _numeric_kind(s.dropna(), name, len(s))
    return _object_kind(s, name, len(s))


def _numeric_kind(values: pd.Series, name: str, n_rows: int) -> ColumnKind:
    if not pd.api.types.is_integer_dtype(values.dtype):
        return ColumnKind.NUMERIC
    id_name = looks_like_id_name(name)
    unique = len(values) == n_rows and values.is_unique
    if unique and n_rows >= 2:
        monotonic = values.is_monotonic_increasing or values.is_monotonic_decreasing
        if id_name or (monotonic and n_rows >= _MIN_ROWS_FOR_UNIQUE_STRING_ID):
            return ColumnKind.ID
    if id_name and not unique:
        return ColumnKind.CATEGORICAL  # a code such as manager_id: labels, not amounts
    return ColumnKind.NUMERIC


def _object_kind(values: pd.Series, name: str, n_rows: int) -> ColumnKind:
    """Kind of a column of strings or mixed Python objects (missing values included)."""
    counts = values.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]  # a categorical dtype lists unused categories too
    uniques = pd.Series(counts.index.to_numpy(dtype=object), dtype=object)
    weights = counts.to_numpy(dtype=float)
    n = weights.sum()
    if _is_boolean(uniques):
        return ColumnKind.BOOLEAN
    as_text = uniques.astype(str)
    numbers = pd.to_numeric(uniques, errors="coerce")
    parsed = numbers.notna().to_numpy()
    if weights[parsed].sum() >= NUMERIC_PARSE_RATIO * n and not _has_leading_zeros(as_text):
        if not isinstance(values.dtype, pd.CategoricalDtype):
            numeric = pd.to_numeric(values.dropna(), errors="coerce").dropna()
            floats = numeric.to_numpy(dtype=float)
            if np.all(np.mod(floats, 1) == 0) and np.abs(floats).max() < 2**62:
                return _numeric_kind(numeric.astype("int64"), name, n_rows)
        return ColumnKind.NUMERIC
    if _is_datetime(as_text, weights):
        return ColumnKind.DATETIME
    lengths = as_text.str.len().to_numpy(dtype=float)
    spaced = as_text.str.contains(r"\s", regex=True).to_numpy(dtype=bool)
    mean_length = float((lengths * weights).sum() / n)
    spaced_share = float(weights[spaced].sum() / n)
    if mean_length > TEXT_MIN_MEAN_LENGTH and spaced_share >= 0.5 and len(uniques) >= 0.3 * n:
        return ColumnKind.TEXT
    all_unique = len(uniques) == n == n_rows and not spaced.any()
    if all_unique and (looks_like_id_name(name) or n_rows >= _MIN_ROWS_FOR_UNIQUE_STRING_ID):
        return ColumnKind.ID
    return ColumnKind.CATEGORICAL


def _is_boolean(uniques: pd.Series) -> bool:
    if len(uniques) > 6:  # true/false in a few spellings at most
        return False
    if all(isinstance(v, bool | np.bool_) for v in uniques):
        return True
    lowered = {str(v).strip().lower() for v in uniques}
    return lowered <= {"true", "false"}


def _has_leading_zeros(as_text: pd.Series) -> bool:
    """Zero-padded codes such as zip codes must stay strings."""
    return bool(as_text.str.strip().str.match(_LEADING_ZERO).mean() > 0.1)


def _is_datetime(as_text: pd.Series, weights: np.ndarray) -> bool:
    date_like = as_text.str.contains(_DATE_LIKE, regex=True).to_numpy(dtype=bool)
    if weights[date_like].sum() < DATETIME_PARSE_RATIO * weights.sum():
        return False
    order = np.argsort(-weights, kind="stable")[:_DATETIME_SAMPLE]
    sample = as_text.iloc[order]
    parsed = _to_datetime(sample)
    share = weights[order][parsed.notna().to_numpy()].sum() / weights[order].sum()
    return bool(share >= DATETIME_PARSE_RATIO)


def _to_datetime(s: pd.Series) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.to_datetime(s, errors="coerce")
            if out.notna().sum() < DATETIME_PARSE_RATIO * s.notna().sum():
                out = pd.to_datetime(s, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):
            out = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
    return out


# --- conversion -------------------------------------------------------------------


def coerce_frame(df: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> pd.DataFrame:
    """Return a copy of ``df`` whose columns have their kind's dtype.

    numeric -> float64 (unparsable values become NaN), datetime -> datetime64 (NaT when
    unparsable), boolean -> float 0/1 (NaN when unknown), categorical/text/id -> Python
    ``str`` objects with NaN for missing. Columns absent from ``kinds`` are kept as is.
    """
    out = {
        col: coerce_series(df[col], kinds[str(col)]) if str(col) in kinds else df[col]
        for col in df.columns
    }
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def coerce_series(s: pd.Series, kind: ColumnKind) -> pd.Series:
    """Convert one column to the dtype of ``kind`` (see ``coerce_frame``)."""
    if kind is ColumnKind.NUMERIC:
        return _to_float(s)
    if kind is ColumnKind.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return s
        return _to_datetime(s.astype(object) if s.dtype != object else s)
    if kind is ColumnKind.BOOLEAN:
        return _to_boolean(s)
    return _to_str(s)


def _to_float(s: pd.Series) -> pd.Series:
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return s.dt.total_seconds().astype("float64")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        stamps = s.dt.tz_convert("UTC").dt.tz_localize(None) if s.dt.tz is not None else s
        out = stamps.astype("datetime64[ns]").astype("int64").astype("float64")
        return out.where(s.notna())
    if pd.api.types.is_bool_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        s = pd.to_numeric(s, errors="coerce")
    return s.astype("float64")


def _to_boolean(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        values = s.astype("float64")
        return values.where(values.isin([0.0, 1.0]))
    text = s.astype(object).where(s.notna()).astype(str).str.strip().str.lower()
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    out[text.isin(_TRUE).to_numpy()] = 1.0
    out[text.isin(_FALSE).to_numpy()] = 0.0
    return out.where(s.notna())


def _to_str(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        values = s.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size and np.all(np.mod(finite, 1) == 0) and np.abs(finite).max() < 2**53:
            s = s.astype("Int64")  # 3.0 -> "3", not "3.0"
    text = s.astype(object).where(s.notna())
    return text.astype("str").astype(object).where(s.notna(), np.nan)
