"""Numeric transformations and model-based imputation (numeric arrays in and out)."""

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer
from sklearn.preprocessing import PowerTransformer
from sklearn.utils.validation import check_is_fitted, validate_data

TRANSFORM_METHODS = ("log", "sqrt", "square", "box_cox", "yeo_johnson")
_SHIFTED = ("log", "sqrt", "box_cox")
_LIMIT = 1e12  # outputs are clipped to +-_LIMIT so an extreme input never gives inf


def column_minimum(values: np.ndarray) -> float:
    """Smallest observed value of a column (the ``minimum`` imputation strategy)."""
    return float(np.min(values))


class NumericTransform(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Column-wise ``log``, ``sqrt``, ``square``, ``box_cox`` or ``yeo_johnson``.

    ``log`` (log1p), ``sqrt`` and ``box_cox`` first shift each column by a constant learned
    at fit time so that the training values are >= 0 (> 0, with minimum 1, for Box-Cox);
    at transform time values below the shifted training minimum are clipped to it, so
    non-positive or unseen small values never crash. Box-Cox and Yeo-Johnson use
    :class:`~sklearn.preprocessing.PowerTransformer` (standardized); constant columns pass
    through unchanged. NaN is kept.

    Args:
        method: one of ``TRANSFORM_METHODS``.
    """

    def __init__(self, method: str = "log") -> None:
        self.method = method

    def fit(self, X: Any, y: Any = None) -> "NumericTransform":
        if self.method not in TRANSFORM_METHODS:
            raise ValueError(f"method must be one of {TRANSFORM_METHODS}, got {self.method!r}")
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low = np.nan_to_num(np.nanmin(data, axis=0), nan=0.0)
            spread = np.nan_to_num(np.nanmax(data, axis=0), nan=0.0) - low
        if self.method == "box_cox":
            self.shift_ = np.where(low <= 0, 1.0 - low, 0.0)
        elif self.method in _SHIFTED:
            self.shift_ = np.where(low < 0, -low, 0.0)
        else:
            self.shift_ = np.zeros(data.shape[1])
        self.lower_ = low + self.shift_
        self.varying_ = spread > 0
        self.power_: PowerTransformer | None = None
        if self.method in ("box_cox", "yeo_johnson") and self.varying_.any():
            method = "box-cox" if self.method == "box_cox" else "yeo-johnson"
            shifted = self._shift(data)[:, self.varying_]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self.power_ = PowerTransformer(method=method).fit(shifted)
        return self

    def _shift(self, data: np.ndarray) -> np.ndarray:
        if self.method not in _SHIFTED:
            return data
        with np.errstate(invalid="ignore"):
            return np.maximum(data + self.shift_, self.lower_)  # NaN stays NaN

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "shift_")
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        shifted = self._shift(data)
        with np.errstate(all="ignore"):
            if self.method == "log":
                out = np.log1p(shifted)
            elif self.method == "sqrt":
                out = np.sqrt(shifted)
            elif self.method == "square":
                out = np.square(np.clip(shifted, -1e6, 1e6))
            else:
                out = shifted.copy()
                if self.power_ is not None:
                    out[:, self.varying_] = self.power_.transform(shifted[:, self.varying_])
        nan = np.isnan(out)
        out = np.clip(np.nan_to_num(out, nan=0.0, posinf=_LIMIT, neginf=-_LIMIT), -_LIMIT, _LIMIT)
        out[nan] = np.nan
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class ModelImputer(TransformerMixin, BaseEstimator):
    """KNN or iterative (model-based) imputation of the first ``n_targets`` columns.

    The remaining input columns are context only: they help predict the missing values
    and are not returned. ``n_targets=None`` imputes and returns every column.

    Args:
        method: ``"knn"`` (:class:`~sklearn.impute.KNNImputer`, 5 neighbours) or
            ``"iterative"`` (:class:`~sklearn.impute.IterativeImputer`, 10 rounds).
        n_targets: how many leading columns to impute and return.
        random_state: seed of the iterative imputer.
    """

    def __init__(
        self, method: str = "knn", n_targets: int | None = None, random_state: int = 0
    ) -> None:
        self.method = method
        self.n_targets = n_targets
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "ModelImputer":
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        self.imputer_: KNNImputer | IterativeImputer
        if self.method == "knn":
            self.imputer_ = KNNImputer(n_neighbors=5, keep_empty_features=True)
        elif self.method == "iterative":
            self.imputer_ = IterativeImputer(
                max_iter=10, random_state=self.random_state, keep_empty_features=True
            )
        else:
            raise ValueError(f"method must be 'knn' or 'iterative', got {self.method!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.imputer_.fit(np.array(data, copy=True))  # pandas gives read-only views
        return self

    def _width(self) -> int:
        return int(self.n_features_in_ if self.n_targets is None else self.n_targets)

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "imputer_")
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.imputer_.transform(np.array(data, copy=True))
        return np.asarray(out[:, : self._width()], dtype=float)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "imputer_")
        if input_features is None:
            input_features = getattr(
                self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
            )
        return np.asarray(input_features, dtype=object)[: self._width()]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
