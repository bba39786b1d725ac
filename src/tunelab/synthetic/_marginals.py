"""One column's marginal distribution, mapped to and from standard normal scores.

A numeric (or datetime) column keeps its empirical quantile function: a value's normal
score is ``Phi^-1`` of its mid-rank, and a uniform ``u`` maps back by linear interpolation
between the sorted observed values (so samples stay within the observed range). Any other
column is categorical: categories are ordered by frequency (most frequent first), each owns
an interval of [0, 1] as wide as its share, a row's score is ``Phi^-1`` of a uniform point
of its category's interval, and ``u`` maps back to the category whose interval holds it.
Missing values of a numeric column are kept as a rate and drawn independently; in a
categorical column "missing" is one more category.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import rankdata

from tunelab.entities import DataError

# uniforms are kept inside (EPS, 1 - EPS) so that their normal scores are finite
EPS = 1e-6


def sampling_seed(synthesizer: Any, n_rows: int, random_state: int | None) -> int:
    """The seed of one ``sample(n_rows, random_state)`` call of a fitted synthesizer
    (default: its ``random_state`` + 1); DataError when unfitted or ``n_rows`` <= 0."""
    if not hasattr(synthesizer, "marginals_"):
        raise DataError("the synthesizer is not fitted: call fit(X) first")
    if int(n_rows) <= 0:
        raise DataError(f"the number of rows to sample must be positive, got {n_rows}")
    return int(synthesizer.random_state + 1 if random_state is None else random_state)


def _clip(u: np.ndarray) -> np.ndarray:
    return np.clip(u, EPS, 1.0 - EPS)


def is_numeric(series: pd.Series) -> bool:
    """True for number and datetime columns (booleans are categories)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype)
        or pd.api.types.is_datetime64_any_dtype(series.dtype)
    )


@dataclass
class NumericMarginal:
    """Empirical quantile function of a number or datetime column."""

    name: str
    dtype: Any
    sorted_values: np.ndarray = field(repr=False)
    missing_rate: float
    integer: bool
    datetime: bool

    @classmethod
    def fit(cls, series: pd.Series) -> "NumericMarginal":
        datetime = bool(pd.api.types.is_datetime64_any_dtype(series.dtype))
        present = series.dropna()
        if datetime:
            values = present.astype("int64").to_numpy(dtype=np.float64)
        else:
            values = present.to_numpy(dtype=np.float64)
        integer = bool(
            pd.api.types.is_integer_dtype(series.dtype)
            or (len(values) > 0 and not datetime and np.all(values == np.round(values)))
        )
        return cls(
            name=str(series.name),
            dtype=series.dtype,
            sorted_values=np.sort(values),
            missing_rate=float(series.isna().mean()) if len(series) else 0.0,
            integer=integer,
            datetime=datetime,
        )

    @property
    def constant(self) -> bool:
        return len(self.sorted_values) == 0 or self.sorted_values[0] == self.sorted_values[-1]

    def to_normal(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        """Normal scores of the fitted rows (0 where the value is missing)."""
        scores = np.zeros(len(series))
        present = series.notna().to_numpy()
        if present.sum() == 0:
            return scores
        kept = series[present]
        values = kept.astype("int64") if self.datetime else kept
        ranks = rankdata(values.to_numpy(dtype=np.float64), method="average")
        scores[present] = ndtri(_clip((ranks - 0.5) / len(ranks)))
        return scores

    def from_uniform(
        self, u: np.ndarray, rng: np.random.Generator, *, with_missing: bool = True
    ) -> pd.Series:
        """Values at quantiles ``u`` (missing at the fitted rate unless ``with_missing`` is
        False)."""
        n = len(self.sorted_values)
        if n == 0:
            return pd.Series(np.full(len(u), np.nan), name=self.name)
        grid = (np.arange(n) + 0.5) / n
        values = np.interp(u, grid, self.sorted_values)
        if self.integer:
            values = np.round(values)
        missing = rng.random(len(u)) < self.missing_rate
        if not with_missing:
            missing[:] = False
        if self.datetime:
            out = pd.Series(values.astype("int64"), name=self.name).astype(self.dtype)
            return out.mask(missing)
        if missing.any():
            values = values.astype(np.float64)
            values[missing] = np.nan
            if pd.api.types.is_integer_dtype(self.dtype):
                return pd.Series(values, name=self.name)  # NaN needs a float column
            return pd.Series(values, name=self.name).astype(self.dtype)
        return pd.Series(values, name=self.name).astype(self.dtype)


@dataclass
class CategoricalMarginal:
    """Frequency-ordered categories, each an interval of [0, 1]."""

    name: str
    dtype: Any
    categories: list[Any]  # most frequent first; None stands for "missing"
    upper: np.ndarray = field(repr=False)  # cumulative shares (interval upper bounds)

    @classmethod
    def fit(cls, series: pd.Series) -> "CategoricalMarginal":
        counts = series.astype(object).where(series.notna(), None).value_counts(dropna=False)
        pairs = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        total = float(sum(c for _, c in pairs)) or 1.0
        categories = [None if _missing(k) else k for k, _ in pairs]
        upper = np.cumsum([c / total for _, c in pairs]) if pairs else np.array([1.0])
        upper[-1] = 1.0
        return cls(name=str(series.name), dtype=series.dtype, categories=categories, upper=upper)

    @property
    def constant(self) -> bool:
        return len(self.categories) <= 1

    def to_normal(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        """Normal scores: a uniform point of each row's category interval."""
        index = {c: i for i, c in enumerate(self.categories)}
        codes = np.array(
            [index.get(None if _missing(v) else v, 0) for v in series.astype(object)],
            dtype=np.int64,
        )
        lower = np.concatenate([[0.0], self.upper[:-1]])
        u = lower[codes] + rng.random(len(codes)) * (self.upper[codes] - lower[codes])
        return np.asarray(ndtri(_clip(u)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> pd.Series:
        codes = np.minimum(np.searchsorted(self.upper, u, side="right"), len(self.categories) - 1)
        values = [self.categories[c] for c in codes]
        out = pd.Series(values, name=self.name, dtype=object)
        if isinstance(self.dtype, pd.CategoricalDtype):
            return out.astype(self.dtype)
        if pd.api.types.is_bool_dtype(self.dtype) and out.notna().all():
            return out.astype(bool)
        if isinstance(self.dtype, pd.StringDtype):
            return out.astype(self.dtype)
        return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


Marginal = NumericMarginal | CategoricalMarginal


def fit_marginal(series: pd.Series) -> Marginal:
    """The marginal model of ``series``: numeric for numbers and datetimes, else categorical."""
    if is_numeric(series):
        return NumericMarginal.fit(series)
    return CategoricalMarginal.fit(series)
