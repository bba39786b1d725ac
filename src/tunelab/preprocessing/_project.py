"""Whole-table feature construction: projections and capped polynomial features."""

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import FeatureAgglomeration
from sklearn.decomposition import PCA, FastICA
from sklearn.kernel_approximation import Nystroem
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils.validation import check_is_fitted, validate_data

PROJECTIONS = ("pca", "fast_ica", "feature_agglomeration", "nystroem")


def _input_names(est: Any, input_features: Any) -> np.ndarray:
    if input_features is not None:
        return np.asarray(input_features, dtype=object)
    if hasattr(est, "feature_names_in_"):
        return np.asarray(est.feature_names_in_, dtype=object)
    return np.array([f"x{i}" for i in range(est.n_features_in_)], dtype=object)


class Projection(TransformerMixin, BaseEstimator):
    """PCA, FastICA, FeatureAgglomeration or Nystroem with a size chosen at fit time.

    The number of components is ``min(max_components, n_features, n_samples)`` (for
    FastICA also at most the numeric rank of the data, so collinear one-hot columns do not
    blow up the whitening); Nystroem uses ``min(max_components * 5, n_samples)`` RBF
    components. FeatureAgglomeration on fewer than two features passes them through.
    """

    def __init__(
        self, method: str = "pca", max_components: int = 20, random_state: int = 0
    ) -> None:
        self.method = method
        self.max_components = max_components
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "Projection":
        if self.method not in PROJECTIONS:
            raise ValueError(f"method must be one of {PROJECTIONS}, got {self.method!r}")
        data = validate_data(self, X, dtype=np.float64)
        n_samples, n_features = data.shape
        size = max(1, min(self.max_components, n_features, n_samples))
        self.inner_: Any = None
        if self.method == "pca":
            self.inner_ = PCA(n_components=size, random_state=self.random_state)
        elif self.method == "fast_ica":
            rank = int(np.linalg.matrix_rank(data - data.mean(axis=0)))
            self.inner_ = FastICA(
                n_components=max(1, min(size, rank)),
                whiten="unit-variance",
                max_iter=400,
                random_state=self.random_state,
            )
        elif self.method == "feature_agglomeration":
            if n_features >= 2:
                self.inner_ = FeatureAgglomeration(n_clusters=min(size, n_features))
        else:
            self.inner_ = Nystroem(
                n_components=min(self.max_components * 5, n_samples),
                random_state=self.random_state,
            )
        if self.inner_ is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.inner_.fit(data)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "inner_")
        data = validate_data(self, X, dtype=np.float64, reset=False)
        if self.inner_ is None:
            return data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.inner_.transform(data), dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "inner_")
        if self.inner_ is None:
            return _input_names(self, input_features)
        return np.asarray(self.inner_.get_feature_names_out(), dtype=object)


class CappedPolynomial(TransformerMixin, BaseEstimator):
    """The input plus degree-2 products of at most ``max_input_features`` columns.

    The columns with the largest variance are chosen at fit time, so the output width
    stays bounded (``n + m(m-1)/2`` with ``interaction_only``, ``n + m(m+1)/2`` without).
    """

    def __init__(self, interaction_only: bool = True, max_input_features: int = 20) -> None:
        self.interaction_only = interaction_only
        self.max_input_features = max_input_features

    def fit(self, X: Any, y: Any = None) -> "CappedPolynomial":
        data = validate_data(self, X, dtype=np.float64)
        variance = data.var(axis=0)
        keep = np.argsort(-variance, kind="stable")[: max(1, self.max_input_features)]
        self.columns_ = np.sort(keep)
        self.poly_ = PolynomialFeatures(
            degree=2, interaction_only=self.interaction_only, include_bias=False
        ).fit(data[:, self.columns_])
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "poly_")
        data = validate_data(self, X, dtype=np.float64, reset=False)
        products = self.poly_.transform(data[:, self.columns_])[:, len(self.columns_) :]
        return np.hstack([data, products])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "poly_")
        names = _input_names(self, input_features)
        products = self.poly_.get_feature_names_out(names[self.columns_])[len(self.columns_) :]
        return np.concatenate([names, np.asarray(products, dtype=object)])
