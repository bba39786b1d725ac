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


_SHARED = "_fitted_is_param"


class _SavesSharedOnce(BaseEstimator):
    """Saves a fitted attribute that holds the very objects of its parameter only once.

    ``fit`` adopts already fitted members, so ``estimators_`` (or ``members_``,
    ``meta_model_``) holds the same objects as the parameter. skops writes every reference
    in full, so a ``WeightedEnsemble`` of fold bags stored each fold model four times
    (bundle size, save and load time). The state records instead which fitted attributes
    repeat their parameter, and loading rebuilds them from it. Only the pairs in
    ``_FITTED_FROM`` are honoured; older states (with both attributes) load unchanged.
    """

    _FITTED_FROM: tuple[tuple[str, str], ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        shared = []
        for fitted, param in self._FITTED_FROM:
            if fitted in state and _same(state[fitted], state.get(param)):
                del state[fitted]
                shared.append(fitted)
        if shared:
            state[_SHARED] = shared
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        shared = state.pop(_SHARED, None) or []
        for fitted, param in self._FITTED_FROM:
            if fitted in shared and param in state:
                value = state[param]
                state[fitted] = list(value) if isinstance(value, list) else value
        super().__setstate__(state)


def _same(fitted: Any, param: Any) -> bool:
    """True when ``fitted`` is ``param`` or a list of the very same objects."""
    if fitted is param:
        return True
    return (
        isinstance(fitted, list)
        and isinstance(param, list)
        and len(fitted) == len(param)
        and all(a is b for a, b in zip(fitted, param, strict=True))
    )


class FoldBag(_SavesSharedOnce):
    """Average of models fitted on different folds of the same data (bagging, no refit).

    Classification models predict encoded labels ``0..n_classes-1``; ``n_classes`` is 0
    for regression.
    """

    _FITTED_FROM = (("estimators_", "estimators"),)

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


class WeightedEnsemble(_SavesSharedOnce):
    """Weighted average of fitted members' predictions (probabilities or values)."""

    _FITTED_FROM = (("members_", "members"),)

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


class StackedEnsemble(_SavesSharedOnce):
    """A meta-model over the base members' predictions (stacking).

    The meta-model was fitted on the members' out-of-fold predictions; at prediction time
    the members (fold bags) predict and the meta-model combines them.
    """

    _FITTED_FROM = (("members_", "members"), ("meta_model_", "meta_model"))

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
