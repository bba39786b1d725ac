"""Categorical encoding: one-hot, ordinal or target encoding, chosen per column at fit."""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder
from sklearn.utils.validation import check_is_fitted

from tunelab.entities import ConfigError
from tunelab.preprocessing._coerce import to_category

ENCODINGS = ("auto", "onehot", "ordinal", "target")
UNKNOWN_CODE = -1  # ordinal code of a category not seen at fit time


class CategoricalEncoder(TransformerMixin, BaseEstimator):
    """Encode string categories (missing = ``np.nan``) as floats.

    ``encoding="auto"`` picks per column at fit time: ordinal codes for the ``"tree"`` and
    ``"embed"`` flavors; for ``"linear"`` one-hot up to ``max_onehot`` distinct values, target
    encoding above. One-hot never produces more than ``max_onehot`` columns per feature (rarer
    values are grouped as infrequent) and ignores unseen values (all zeros, or the
    infrequent column). Ordinal codes unseen values as -1 and missing values as NaN
    (tree, embed) or -2 (linear). Target encoding (sklearn ``TargetEncoder``, cross-fitted during
    ``fit_transform``) maps unseen values to the target mean; for the linear flavor its
    outputs are standardized.

    Args:
        encoding: one of ``ENCODINGS``.
        flavor: ``"tree"``, ``"linear"`` or ``"embed"``.
        max_onehot: one-hot width limit per column (and the ``auto`` switch point).
        min_frequency: one-hot ``min_frequency`` (rarer values become "infrequent").
        target_type: ``"binary"``, ``"multiclass"`` or ``"continuous"``.
        random_state: seed of the target encoder's cross-fitting.
    """

    def __init__(
        self,
        encoding: str = "auto",
        flavor: str = "linear",
        max_onehot: int = 30,
        min_frequency: int | float | None = None,
        target_type: str = "auto",
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.flavor = flavor
        self.max_onehot = max_onehot
        self.min_frequency = min_frequency
        self.target_type = target_type
        self.random_state = random_state

    def _plan(self, frame: pd.DataFrame) -> dict[str, list[int]]:
        plan: dict[str, list[int]] = {"onehot": [], "ordinal": [], "target": []}
        for i, col in enumerate(frame.columns):
            method = self.encoding
            if method == "auto":
                if self.flavor in ("tree", "embed"):
                    method = "ordinal"
                else:
                    n_levels = frame[col].nunique(dropna=True)
                    method = "onehot" if n_levels <= self.max_onehot else "target"
            plan[method].append(i)
        return plan

    def _fit(self, X: Any, y: Any, *, transform: bool) -> np.ndarray | None:
        if self.encoding not in ENCODINGS:
            raise ConfigError(f"encoding must be one of {ENCODINGS}, got {self.encoding!r}")
        frame = _as_object_frame(X)
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.plan_ = self._plan(frame)
        if self.plan_["target"] and y is None:
            raise ConfigError("target encoding needs the target: fit with y")
        self.onehot_ = self.ordinal_ = self.target_ = self.target_scaler_ = None
        blocks = []
        if self.plan_["onehot"]:
            self.onehot_ = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=self.min_frequency,
                max_categories=max(2, self.max_onehot),
                sparse_output=False,
                dtype=np.float64,
            )
            part = frame.iloc[:, self.plan_["onehot"]]
            self.onehot_.fit(part)
            blocks.append(self.onehot_.transform(part) if transform else None)
        if self.plan_["ordinal"]:
            self.ordinal_ = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=UNKNOWN_CODE,
                encoded_missing_value=-2.0 if self.flavor == "linear" else np.nan,
                dtype=np.float64,
            )
            part = frame.iloc[:, self.plan_["ordinal"]]
            self.ordinal_.fit(part)
            blocks.append(self._ordinal(part) if transform else None)
        if self.plan_["target"]:
            splitter = KFold if self.target_type == "continuous" else StratifiedKFold
            self.target_ = TargetEncoder(
                target_type=self.target_type,
                cv=splitter(n_splits=5, shuffle=True, random_state=self.random_state),
            )
            part = frame.iloc[:, self.plan_["target"]]
            encoded = self.target_.fit_transform(part, np.asarray(y))
            if self.flavor != "tree":
                self.target_scaler_ = StandardScaler().fit(encoded)
                encoded = self.target_scaler_.transform(encoded)
            blocks.append(encoded)
        if not transform:
            return None
        return _stack(blocks, len(frame))

    def fit(self, X: Any, y: Any = None) -> "CategoricalEncoder":
        self._fit(X, y, transform=False)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        out = self._fit(X, y, transform=True)
        assert out is not None
        return out

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "plan_")
        frame = _as_object_frame(X)
        blocks = []
        if self.onehot_ is not None:
            blocks.append(self.onehot_.transform(frame.iloc[:, self.plan_["onehot"]]))
        if self.ordinal_ is not None:
            blocks.append(self._ordinal(frame.iloc[:, self.plan_["ordinal"]]))
        if self.target_ is not None:
            encoded = self.target_.transform(frame.iloc[:, self.plan_["target"]])
            if self.target_scaler_ is not None:
                encoded = self.target_scaler_.transform(encoded)
            blocks.append(encoded)
        return _stack(blocks, len(frame))

    def _ordinal(self, part: pd.DataFrame) -> np.ndarray:
        """Ordinal codes; missing stays missing even when no value was missing at fit."""
        assert self.ordinal_ is not None
        codes = np.asarray(self.ordinal_.transform(part), dtype=np.float64)
        codes[part.isna().to_numpy()] = self.ordinal_.encoded_missing_value
        return codes

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "plan_")
        inputs = self.feature_names_in_ if input_features is None else input_features
        inputs = np.asarray(inputs, dtype=object)
        names: list[str] = []
        for method, encoder in (
            ("onehot", self.onehot_),
            ("ordinal", self.ordinal_),
            ("target", self.target_),
        ):
            if encoder is not None:
                cols = inputs[self.plan_[method]]
                names += [str(n) for n in encoder.get_feature_names_out(cols)]
        return np.array(names, dtype=object)


def _as_object_frame(X: Any) -> pd.DataFrame:
    """Every value a string, missing values ``np.nan`` (imputers may hand back numbers)."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
    data = {
        i: pd.Series(to_category(frame.iloc[:, i]), dtype=object) for i in range(frame.shape[1])
    }
    out = pd.DataFrame(data, index=range(len(frame)))
    out.columns = frame.columns
    return out


def _stack(blocks: list[Any], n_rows: int) -> np.ndarray:
    if not blocks:
        return np.empty((n_rows, 0))
    return np.hstack([np.asarray(b, dtype=np.float64) for b in blocks])
