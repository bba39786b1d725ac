"""Input checks and the feature spaces a clustering search works in.

Mixed columns go through tunelab's own preprocessing (``tunelab.preprocessing``, "linear"
flavor: imputation, one-hot encoding, missing-value flags), then one of the scalings, then
one of the dimension reductions. Each step is fitted once per search and shared by every
candidate that uses it.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.decomposition import PCA, FastICA
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from tunelab.data import profile_dataset
from tunelab.entities import (
    ColumnKind,
    ConfigError,
    DataError,
    DatasetProfile,
    Encoding,
    PreprocessingSettings,
    Scaling,
    TaskType,
)
from tunelab.preprocessing import build_preprocessor, recommend

SCALINGS = ("standard", "robust", "minmax", "none")
REDUCTIONS = ("none", "pca", "fast_ica")
REFERENCE_SCALING = "standard"  # every candidate is scored in this space
MIN_ROWS = 3
MAX_AUTO_K = 15
PCA_VARIANCE = 0.9
MAX_ICA_COMPONENTS = 8
# one-hot levels with fewer rows than max(5, 2 % of the rows) share one "infrequent" column:
# a scaled dummy of a handful of rows would pull those rows into clusters of their own
MIN_LEVEL_ROWS = 5
MIN_LEVEL_SHARE = 0.02
_SCALING = {
    "standard": Scaling.STANDARD,
    "robust": Scaling.ROBUST,
    "minmax": Scaling.MINMAX,
    "none": Scaling.NONE,
}


def parse_n_clusters(value: int | str | None) -> int | None:
    """None for automatic (``"auto"``/None), else an int >= 2; ConfigError otherwise."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        k = int(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"n_clusters={value!r}: expected 'auto' or a whole number >= 2"
        ) from None
    if isinstance(value, float) and value != k:
        raise ConfigError(f"n_clusters={value!r}: expected a whole number >= 2")
    if k < 2:
        raise ConfigError(f"n_clusters={k}: a clustering needs at least 2 clusters")
    return k


def check_choice(values: Any, known: tuple[str, ...], field: str) -> tuple[str, ...]:
    """The requested values (all of ``known`` when None); ConfigError naming unknown ones."""
    if values is None:
        return known
    chosen = tuple(
        str(v).strip().lower() for v in ([values] if isinstance(values, str) else values)
    )
    unknown = [v for v in chosen if v not in known]
    if unknown or not chosen:
        raise ConfigError(
            f"{field}: unknown value(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from: {', '.join(known)}"
        )
    return tuple(dict.fromkeys(chosen))


def split_label(df: Any, label: str | None) -> tuple[pd.DataFrame, pd.Series | None]:
    """The feature columns and the evaluation-only label column (never used to fit)."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"clustering needs a pandas DataFrame, got {type(df).__name__}")
    df = df.set_axis([str(c) for c in df.columns], axis=1)  # bundles name columns by text
    if df.columns.duplicated().any():
        dupes = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"the table has duplicate column names: {', '.join(dupes)}")
    if len(df) < MIN_ROWS:
        raise DataError(
            f"the table has {len(df)} row(s); clustering needs at least {MIN_ROWS} rows"
        )
    if label is None:
        return df, None
    if label not in df.columns:
        shown = ", ".join(map(str, list(df.columns)[:20]))
        raise DataError(f"label column {label!r} is not in the table (columns: {shown})")
    if df.shape[1] < 2:
        raise DataError(f"the table has only the label column {label!r}: nothing to cluster")
    if df[label].isna().all():
        raise DataError(f"label column {label!r} has no values (all missing)")
    return df.drop(columns=[label]), df[label]


def check_k(k: int | None, n_rows: int) -> None:
    if k is not None and k >= n_rows:
        raise ConfigError(
            f"n_clusters={k} needs more rows than clusters; the table has {n_rows} row(s) "
            f"(use at most {n_rows - 1} clusters, or 'auto')"
        )


def auto_k_range(n_rows: int) -> list[int]:
    """k tried in automatic mode: 2 .. min(15, sqrt(n)) (and never n or more)."""
    top = min(MAX_AUTO_K, math.isqrt(n_rows), n_rows - 1)
    return list(range(2, max(top, 2) + 1))


def clustering_settings(X: pd.DataFrame) -> tuple[PreprocessingSettings, DatasetProfile]:
    """tunelab's recommended preprocessing for ``X`` with one-hot encoding (no target; levels
    under max(5, 2 % of the rows) grouped as "infrequent"), and the profile it came from.

    Raises DataError naming the columns when none can be used (constant, all missing,
    id-like).
    """
    profile = profile_dataset(X)
    settings = recommend(profile)
    if not settings.feature_columns:
        reasons = []
        for column in profile.columns:
            if column.missing_ratio >= 1.0:
                reasons.append(f"{column.name} (all missing)")
            elif column.n_unique <= 1:
                reasons.append(f"{column.name} (constant)")
            elif column.kind is ColumnKind.ID:
                reasons.append(f"{column.name} (an id)")
            else:
                reasons.append(str(column.name))
        raise DataError(
            "no column can be used for clustering: " + ", ".join(reasons[:20]) + "; "
            "a clustering needs at least one column whose values vary"
        )
    columns = {
        name: dataclasses.replace(col, encoding=Encoding.ONEHOT)
        for name, col in settings.columns.items()
    }
    rare = max(MIN_LEVEL_ROWS, math.ceil(MIN_LEVEL_SHARE * len(X)))
    return (
        dataclasses.replace(
            settings, columns=columns, encoding=Encoding.ONEHOT, onehot_min_frequency=rare
        ),
        profile,
    )


def make_preprocessor(settings: PreprocessingSettings, scaling: str) -> Pipeline:
    """The unfitted preprocessor for one scaling (``none`` leaves numbers in their units).

    Missing values are imputed without the linear flavor's missing-value flags: a rare 0/1
    flag, once scaled, pulls its few rows into a cluster of their own.

    The task passed to tunelab's builder only matters for target encoding and supervised
    feature selection, neither of which clustering settings use.
    """
    pre = build_preprocessor(
        dataclasses.replace(settings, scaling=_SCALING[scaling]),
        task=TaskType.REGRESSION,
        flavor="linear",
    )
    if "columns__missing" in pre.get_params():  # rare 0/1 missing flags would form clusters
        pre.set_params(columns__missing="drop")
    if scaling == "none":
        scalers = [key for key in pre.get_params() if key.endswith("__scale")]
        pre.set_params(**dict.fromkeys(scalers, "passthrough"))
    return pre


def make_reducer(reduction: str, n_features: int, seed: int) -> Any:
    """PCA keeping 90 % of the variance, FastICA with up to 8 components, or passthrough."""
    if reduction == "pca":
        return PCA(n_components=PCA_VARIANCE, svd_solver="full", random_state=seed)
    if reduction == "fast_ica":
        return FastICA(
            n_components=min(n_features, MAX_ICA_COMPONENTS),
            whiten="unit-variance",
            max_iter=400,
            random_state=seed,
        )
    return "passthrough"


class FeatureSpaces:
    """Fitted preprocessors and reducers, each built once, and the matrices they produce."""

    def __init__(self, X: pd.DataFrame, settings: PreprocessingSettings, seed: int) -> None:
        self.X = X
        self.settings = settings
        self.seed = seed
        self._pre: dict[str, tuple[Pipeline, np.ndarray]] = {}
        self._reduced: dict[tuple[str, str], tuple[Any, np.ndarray]] = {}

    def preprocessed(self, scaling: str) -> tuple[Pipeline, np.ndarray]:
        if scaling not in self._pre:
            pre = make_preprocessor(self.settings, scaling)
            matrix = np.asarray(pre.fit_transform(self.X), dtype=np.float64)
            if matrix.shape[1] == 0:
                raise DataError("preprocessing left no feature to cluster on")
            self._pre[scaling] = (pre, matrix)
        return self._pre[scaling]

    def matrix(self, scaling: str, reduction: str) -> np.ndarray:
        return self.steps(scaling, reduction)[2]

    def steps(self, scaling: str, reduction: str) -> tuple[Pipeline, Any, np.ndarray]:
        """Fitted preprocessor, fitted reducer (or "passthrough") and the resulting matrix."""
        pre, matrix = self.preprocessed(scaling)
        if reduction == "none":
            return pre, "passthrough", matrix
        key = (scaling, reduction)
        if key not in self._reduced:
            reducer = make_reducer(reduction, matrix.shape[1], self.seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                fitted = clone(reducer).fit(matrix)
            self._reduced[key] = (fitted, np.asarray(fitted.transform(matrix), dtype=np.float64))
        reducer, reduced = self._reduced[key]
        return pre, reducer, reduced
