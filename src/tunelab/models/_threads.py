"""A meta-estimator giving ``n_jobs`` to estimators that are parallel only through OpenMP/BLAS.

HistGradientBoosting* and MLP* have no ``n_jobs``: they use every core through OpenMP or
OpenBLAS. On a shared or busy machine that oversubscribes the CPU badly (measured here: a
100-tree HistGradientBoostingClassifier on 500 rows took 0.5 s with one thread and 20 s with
two threads under load). :class:`ThreadLimited` caps the thread pools during fit and predict.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import Tags, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits


def _inner_has(name: str) -> Any:
    def check(self: ThreadLimited) -> bool:
        return hasattr(self.estimator, name)

    return check


class ThreadLimited(MetaEstimatorMixin, BaseEstimator):
    """Fit and predict ``estimator`` with at most ``n_jobs`` OpenMP/BLAS threads.

    ``n_jobs`` None or negative means no limit. The fitted clone is ``estimator_``; a
    classifier's ``classes_`` is exposed as fitted.
    """

    def __init__(self, estimator: Any, n_jobs: int | None = 1) -> None:
        self.estimator = estimator
        self.n_jobs = n_jobs

    def _limits(self) -> threadpool_limits:
        limit = self.n_jobs if self.n_jobs is not None and self.n_jobs > 0 else None
        return threadpool_limits(limits=limit)

    def fit(self, X: Any, y: Any, **fit_params: Any) -> ThreadLimited:
        estimator = clone(self.estimator)
        with self._limits():
            estimator.fit(X, y, **fit_params)
        self.estimator_ = estimator
        if hasattr(estimator, "classes_"):
            self.classes_ = estimator.classes_
        if hasattr(estimator, "n_features_in_"):
            self.n_features_in_ = estimator.n_features_in_
        return self

    def predict(self, X: Any) -> Any:
        check_is_fitted(self)
        with self._limits():
            return self.estimator_.predict(X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        check_is_fitted(self)
        with self._limits():
            return self.estimator_.predict_proba(X)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
