"""scikit-learn estimators backed by ``AutoML`` (usable in pipelines and cross-validation)."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from tunelab.automl._facade import AutoML
from tunelab.entities import ExperimentSettings

_DEFAULT = ExperimentSettings()  # the defaults, declared once in the settings model

_TARGET = "__tunelab_target__"


def _frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X.copy()
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-d array of features, got shape {array.shape}")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


class _TunelabEstimator(BaseEstimator):
    """Builds ``AutoML`` (and so the checked ``ExperimentSettings``) from its parameters."""

    _task: str = ""

    def __init__(
        self,
        metric: str | None = None,
        time_budget: float | None = _DEFAULT.time_budget,
        max_trials: int | None = None,
        algorithms: Sequence[str] | None = None,
        ensemble: str = _DEFAULT.ensemble,
        seed: int = _DEFAULT.seed,
        n_jobs: int = _DEFAULT.n_jobs,
    ) -> None:
        self.metric = metric
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.algorithms = algorithms
        self.ensemble = ensemble
        self.seed = seed
        self.n_jobs = n_jobs

    def _fit(self, X: Any, y: Any, task: str | None) -> Any:
        frame = _frame(X)
        self.columns_ = list(frame.columns)
        frame[_TARGET] = np.asarray(y)
        self.automl_ = AutoML(
            task=task,
            metric=self.metric,
            time_budget=self.time_budget,
            max_trials=self.max_trials,
            algorithms=self.algorithms,
            ensemble=self.ensemble,
            seed=self.seed,
            n_jobs=self.n_jobs,
        ).fit(frame, target=_TARGET)
        self.n_features_in_ = len(self.columns_)
        return self

    def _input(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "automl_")
        frame = _frame(X)
        if not isinstance(X, pd.DataFrame):
            frame.columns = self.columns_
        return frame

    def predict(self, X: Any) -> np.ndarray:
        return self.automl_.predict(self._input(X))


class TunelabClassifier(ClassifierMixin, _TunelabEstimator):
    """Binary or multiclass classification by AutoML search (scikit-learn API)."""

    def fit(self, X: Any, y: Any) -> "TunelabClassifier":
        labels = np.unique(np.asarray(y))
        self._fit(X, y, "binary" if len(labels) == 2 else "multiclass")
        self.classes_ = self.automl_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.automl_.predict_proba(self._input(X)).to_numpy()


class TunelabRegressor(RegressorMixin, _TunelabEstimator):
    """Regression by AutoML search (scikit-learn API)."""

    def fit(self, X: Any, y: Any) -> "TunelabRegressor":
        self._fit(X, np.asarray(y, dtype=np.float64), "regression")
        return self
