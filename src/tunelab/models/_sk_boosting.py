"""scikit-learn boosting: histogram gradient boosting, gradient boosting, AdaBoost.

``GradientBoosting*`` and ``AdaBoost*`` reject NaN (checked with scikit-learn 1.9), so they use
the ``"linear"`` flavor (imputed input); ``HistGradientBoosting*`` takes NaN natively.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from tunelab.entities import TaskType
from tunelab.models._base import (
    ALL_TASKS,
    STEP_L2,
    ModelContext,
    ModelSpec,
    Params,
    Space,
    check_valid_pair,
    early_stopping_rounds,
    scaled_int,
)
from tunelab.models._threads import ThreadLimited


class HistGradientBoostingSpec(ModelSpec):
    """HistGradientBoosting* with its own early stopping.

    Given validation data, it stops on it (``X_val``/``y_val``); otherwise on an internal 10 %
    split. Its patience follows the learning rate like the other boosters. Wrapped in
    :class:`ThreadLimited` so that it uses ``ctx.n_jobs`` OpenMP threads.
    """

    rounds_param = "max_iter"

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        cls = (
            HistGradientBoostingRegressor
            if ctx.task is TaskType.REGRESSION
            else HistGradientBoostingClassifier
        )
        params = dict(params)
        params.setdefault("n_iter_no_change", early_stopping_rounds(params["learning_rate"]) // 2)
        return ThreadLimited(cls(**params, random_state=ctx.random_state), n_jobs=ctx.n_jobs)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "learning_rate": FloatDistribution(0.01, 0.3, log=True),
            "max_leaf_nodes": IntDistribution(8, scaled_int(ctx.n_rows, 0.1, 16, 256), log=True),
            "min_samples_leaf": IntDistribution(2, scaled_int(ctx.n_rows, 0.05, 4, 200), log=True),
            "l2_regularization": FloatDistribution(1e-4, 10.0, log=True),
            "max_features": FloatDistribution(0.4, 1.0),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        # classification only (see STEP_L2): scikit-learn's default penalty is 0
        penalty = {"l2_regularization": STEP_L2} if ctx.task.is_classification else {}
        return {
            "max_iter": 2000,
            "learning_rate": 0.1,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "early_stopping": True,
            "validation_fraction": 0.1,
            **penalty,
        }

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"max_iter": 100, "learning_rate": 0.15, "max_leaf_nodes": 15}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        return [
            {"learning_rate": 0.1, "max_leaf_nodes": 31},
            {"learning_rate": 0.05, "max_leaf_nodes": 63, "min_samples_leaf": 5,
             "max_features": 0.8},
        ]  # fmt: skip

    def fit(
        self,
        estimator: Any,
        X: Any,
        y: Any,
        X_valid: Any = None,
        y_valid: Any = None,
        *,
        deadline: float | None = None,
    ) -> Any:
        check_valid_pair(X_valid, y_valid)
        if X_valid is None or not estimator.get_params()["estimator__early_stopping"]:
            return estimator.fit(X, y)
        return estimator.fit(X, y, X_val=X_valid, y_val=y_valid)

    def best_iteration(self, estimator: Any) -> int | None:
        fitted = getattr(estimator, "estimator_", estimator)
        scores = getattr(fitted, "validation_score_", None)  # [0] is before the first tree
        if scores is None or len(scores) < 2:
            return None
        return max(1, int(np.argmax(scores)))

    def refit_params(self, params: Params, estimator: Any) -> Params:
        best = self.best_iteration(estimator)
        if best is None:
            return dict(params)
        return {**params, "max_iter": best, "early_stopping": False}


class GradientBoostingSpec(ModelSpec):
    """Classic GradientBoosting* (single-threaded) with internal early stopping."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        cls = (
            GradientBoostingRegressor
            if ctx.task is TaskType.REGRESSION
            else GradientBoostingClassifier
        )
        return cls(**params, random_state=ctx.random_state)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "learning_rate": FloatDistribution(0.01, 0.3, log=True),
            "n_estimators": IntDistribution(50, 300, log=True),
            "max_depth": IntDistribution(2, 8),
            "subsample": FloatDistribution(0.5, 1.0),
            "max_features": FloatDistribution(0.3, 1.0),
            "min_samples_leaf": IntDistribution(1, scaled_int(ctx.n_rows, 0.01, 2, 64), log=True),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        # Each round holds n_classes tree estimators (skops saves each as an object): 200
        # rounds with early stopping keep a 5-fold bag of a multiclass model saveable.
        return {
            "n_estimators": 200,
            "learning_rate": 0.1,
            "max_depth": 3,
            "subsample": 0.8,
            "n_iter_no_change": 20,
            "validation_fraction": 0.1,
        }

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_estimators": 50, "max_depth": 3}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        return [{"learning_rate": 0.05, "max_depth": 5, "max_features": 0.7}]


class AdaBoostSpec(ModelSpec):
    """AdaBoost over shallow trees; ``max_depth`` sets the depth of the base tree."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        params = dict(params)
        depth = params.pop("max_depth")
        if ctx.task is TaskType.REGRESSION:
            base: BaseEstimator = DecisionTreeRegressor(max_depth=depth)
            return AdaBoostRegressor(base, **params, random_state=ctx.random_state)
        base = DecisionTreeClassifier(max_depth=depth)
        return AdaBoostClassifier(base, **params, random_state=ctx.random_state)

    def search_space(self, ctx: ModelContext) -> Space:
        space: Space = {
            "n_estimators": IntDistribution(25, 400, log=True),
            "learning_rate": FloatDistribution(0.01, 2.0, log=True),
            "max_depth": IntDistribution(1, 6),
        }
        if ctx.task is TaskType.REGRESSION:
            space["loss"] = CategoricalDistribution(("linear", "square", "exponential"))
        return space

    def default_params(self, ctx: ModelContext) -> Params:
        return {"n_estimators": 100, "learning_rate": 0.5, "max_depth": 3}

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_estimators": 30, "max_depth": 2}


HIST_GRADIENT_BOOSTING = HistGradientBoostingSpec(
    name="hist_gradient_boosting",
    label="Histogram gradient boosting",
    tasks=ALL_TASKS,
    flavor="tree",
    cost=1.2,
)
GRADIENT_BOOSTING = GradientBoostingSpec(
    name="gradient_boosting", label="Gradient boosting", tasks=ALL_TASKS, flavor="linear", cost=5.0
)
ADABOOST = AdaBoostSpec(
    name="adaboost", label="AdaBoost", tasks=ALL_TASKS, flavor="linear", cost=2.0
)
