"""Fitted-model containers that behave like scikit-learn estimators (and save with skops)."""

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


def _align_proba(proba: np.ndarray, model_classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Place a model's probability columns into the full 0..n_classes-1 layout."""
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes), dtype=np.float64)
    full[:, np.asarray(model_classes, dtype=np.int64)] = proba
    return full


class FoldBag(BaseEstimator):
    """Average of models fitted on different folds of the same data (bagging, no refit).

    Classification models predict encoded labels ``0..n_classes-1``; ``n_classes`` is 0
    for regression.
    """

    def __init__(self, estimators: list[Any] | None = None, n_classes: int = 0) -> None:
        self.estimators = estimators
        self.n_classes = n_classes

    def fit(self, X: Any = None, y: Any = None) -> "FoldBag":
        """Mark the (already fitted) members as this bag's fitted state."""
        if not self.estimators:
            raise ValueError("FoldBag needs at least one fitted estimator")
        self.estimators_ = list(self.estimators)
        if self.n_classes:
            self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        total: np.ndarray | None = None
        for est in self.estimators_:
            proba = _align_proba(np.asarray(est.predict_proba(X)), est.classes_, self.n_classes)
            total = proba if total is None else total + proba
        assert total is not None
        return total / len(self.estimators_)

    def predict_values(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        preds = [np.asarray(est.predict(X), dtype=np.float64) for est in self.estimators_]
        return np.mean(preds, axis=0)

    def predict(self, X: Any) -> np.ndarray:
        if self.n_classes:
            return np.argmax(self.predict_proba(X), axis=1)
        return self.predict_values(X)


class WeightedEnsemble(BaseEstimator):
    """Weighted average of fitted members' predictions (probabilities or values)."""

    def __init__(
        self,
        members: list[Any] | None = None,
        weights: list[float] | None = None,
        n_classes: int = 0,
    ) -> None:
        self.members = members
        self.weights = weights
        self.n_classes = n_classes

    def fit(self, X: Any = None, y: Any = None) -> "WeightedEnsemble":
        """Validate members and weights; members must already be fitted."""
        if not self.members or self.weights is None or len(self.members) != len(self.weights):
            raise ValueError("WeightedEnsemble needs one weight per fitted member")
        weights = np.asarray(self.weights, dtype=np.float64)
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("ensemble weights must be non-negative and not all zero")
        self.members_ = list(self.members)
        self.weights_ = weights / weights.sum()
        if self.n_classes:
            self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "members_")
        total = sum(
            w * _align_proba(np.asarray(m.predict_proba(X)), m.classes_, self.n_classes)
            for m, w in zip(self.members_, self.weights_, strict=True)
        )
        return np.asarray(total)

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "members_")
        if self.n_classes:
            return np.argmax(self.predict_proba(X), axis=1)
        preds = [
            w
            * np.asarray(
                m.predict_values(X) if hasattr(m, "predict_values") else m.predict(X),
                dtype=np.float64,
            )
            for m, w in zip(self.members_, self.weights_, strict=True)
        ]
        return np.asarray(np.sum(preds, axis=0))


class StackedEnsemble(BaseEstimator):
    """A meta-model over the base members' predictions (stacking).

    The meta-model was fitted on the members' out-of-fold predictions; at prediction time
    the members (fold bags) predict and the meta-model combines them.
    """

    def __init__(
        self, members: list[Any] | None = None, meta_model: Any = None, n_classes: int = 0
    ) -> None:
        self.members = members
        self.meta_model = meta_model
        self.n_classes = n_classes

    def fit(self, X: Any = None, y: Any = None) -> "StackedEnsemble":
        """Adopt already fitted members and meta-model."""
        if not self.members or self.meta_model is None:
            raise ValueError("StackedEnsemble needs fitted members and a fitted meta-model")
        self.members_ = list(self.members)
        self.meta_model_ = self.meta_model
        if self.n_classes:
            self.classes_ = np.arange(self.n_classes)
        return self

    def _meta_features(self, X: Any) -> np.ndarray:
        if self.n_classes:
            parts = [
                _align_proba(np.asarray(m.predict_proba(X)), m.classes_, self.n_classes)
                for m in self.members_
            ]
        else:
            parts = [np.asarray(m.predict(X), dtype=np.float64)[:, None] for m in self.members_]
        return np.hstack(parts)

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "members_")
        meta = self.meta_model_
        return _align_proba(
            np.asarray(meta.predict_proba(self._meta_features(X))),
            meta.classes_,
            self.n_classes,
        )

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "members_")
        if self.n_classes:
            return np.argmax(self.predict_proba(X), axis=1)
        return np.asarray(self.meta_model_.predict(self._meta_features(X)), dtype=np.float64)
