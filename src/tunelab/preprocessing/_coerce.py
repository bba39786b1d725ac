"""Turn the columns of a raw DataFrame into clean, typed values (the first pipeline step).

Values arriving with the wrong type at prediction time are coerced instead of crashing:
numbers given as strings are parsed (unparsable values become NaN), categories become
strings, booleans become 0/1, datetimes are parsed. Extra columns are ignored and the
column order of the input does not matter; a missing column is a :class:`SchemaError`.
"""

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tunelab.entities import ColumnKind, DataError, SchemaError

TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0", "on"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0", "off"})
CATEGORY_KINDS = frozenset({ColumnKind.CATEGORICAL, ColumnKind.ID})


def to_float(values: pd.Series) -> np.ndarray:
    """Numbers as float64; strings are parsed, anything unparsable or infinite becomes NaN."""
    if pd.api.types.is_bool_dtype(values.dtype):
        out = values.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(
            values.dtype
        ):
            values = values.map(_strip_number, na_action="ignore")
        parsed = pd.to_numeric(values, errors="coerce")
        out = pd.Series(parsed).astype("float64").to_numpy(dtype=float, na_value=np.nan)
    out = np.array(out, dtype=float, copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


def _strip_number(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().replace(",", "") or None
    if isinstance(value, bool | np.bool_):
        return float(value)
    return value


def _token(value: Any) -> str:
    """One category label: integral floats lose their ``.0`` so 3, 3.0 and "3" agree."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    return str(value)


def to_category(values: pd.Series) -> np.ndarray:
    """Categories as an object array of strings, missing values as ``np.nan``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = np.array([_token(u) for u in uniques], dtype=object)
    out = np.full(len(values), np.nan, dtype=object)
    present = codes >= 0
    out[present] = labels[codes[present]]
    return out


def to_text(values: pd.Series) -> np.ndarray:
    """Free text as an object array of strings; missing text is the empty string."""
    out = to_category(values)
    out[pd.isna(out)] = ""
    return out


def to_datetime(values: pd.Series) -> pd.Series:
    """Naive UTC datetimes; unparsable values become NaT."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _bool_tokens(values: pd.Series) -> np.ndarray:
    out = to_category(values)
    present = ~pd.isna(out)
    out[present] = [str(v).strip().lower() for v in out[present]]
    return out


def learn_boolean_map(values: pd.Series, column: str) -> tuple[list[str], list[str]]:
    """Which (lower-cased) tokens mean true and which mean false for one column."""
    seen = sorted({t for t in _bool_tokens(values) if not pd.isna(t)})
    unknown = [t for t in seen if t not in TRUE_TOKENS | FALSE_TOKENS]
    if not unknown:
        return sorted(TRUE_TOKENS), sorted(FALSE_TOKENS)
    if len(seen) > 2:
        raise DataError(
            f"column {column!r} is marked boolean but holds {len(seen)} distinct values "
            f"(e.g. {seen[:5]}); mark it categorical instead"
        )
    # two arbitrary labels: the last in sorted order means true
    return [seen[-1]], seen[:-1]


def to_boolean(
    values: pd.Series, true_tokens: Sequence[str], false_tokens: Sequence[str]
) -> np.ndarray:
    """Booleans as 0.0/1.0; missing and unrecognised values become NaN."""
    tokens = _bool_tokens(values)
    out = np.full(len(values), np.nan)
    out[np.isin(tokens, list(true_tokens))] = 1.0
    out[np.isin(tokens, list(false_tokens))] = 0.0
    return out


class FrameCoercer(TransformerMixin, BaseEstimator):
    """Select the feature columns by name and give each the type of its kind.

    Output is a DataFrame with exactly ``columns`` in order: float64 for numeric and
    boolean columns, object (str or ``np.nan``) for categorical and id columns, object
    str for text, ``datetime64[ns]`` for datetimes.

    Args:
        columns: the input columns to keep.
        kinds: one ``ColumnKind`` value per column.
    """

    def __init__(self, columns: Sequence[str] = (), kinds: Sequence[str] = ()) -> None:
        self.columns = columns
        self.kinds = kinds

    def fit(self, X: pd.DataFrame, y: Any = None) -> "FrameCoercer":
        frame = self._select(X)
        self.boolean_maps_: dict[str, tuple[list[str], list[str]]] = {}
        for name, kind in zip(self.columns, self.kinds, strict=True):
            if ColumnKind(kind) is ColumnKind.BOOLEAN:
                self.boolean_maps_[name] = learn_boolean_map(frame[name], name)
        self.n_features_in_ = len(self.columns)
        self.feature_names_in_ = np.array(list(self.columns), dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "boolean_maps_")
        frame = self._select(X)
        data: dict[str, Any] = {}
        for name, kind in zip(self.columns, self.kinds, strict=True):
            data[name] = self._convert(frame[name], name, ColumnKind(kind))
        return pd.DataFrame(data, index=frame.index)

    def _convert(self, values: pd.Series, name: str, kind: ColumnKind) -> Any:
        if kind is ColumnKind.NUMERIC:
            return pd.Series(to_float(values), index=values.index, dtype="float64")
        if kind is ColumnKind.BOOLEAN:
            true_tokens, false_tokens = self.boolean_maps_[name]
            return pd.Series(to_boolean(values, true_tokens, false_tokens), index=values.index)
        if kind is ColumnKind.DATETIME:
            return to_datetime(values)
        if kind is ColumnKind.TEXT:
            return pd.Series(to_text(values), index=values.index, dtype=object)
        return pd.Series(to_category(values), index=values.index, dtype=object)

    def _select(self, X: Any) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise SchemaError(
                f"expected a pandas DataFrame with columns {list(self.columns)[:10]}, "
                f"got {type(X).__name__}"
            )
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise SchemaError(f"input is missing required column(s): {missing}")
        if X.columns.has_duplicates:
            dup = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
            raise SchemaError(f"input has duplicated column name(s): {dup}")
        return X.loc[:, list(self.columns)]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(list(self.columns), dtype=object)
