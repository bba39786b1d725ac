"""XGBoost (``tree_method="hist"``), early stopping on the validation data."""

from __future__ import annotations

from typing import Any

from optuna.distributions import FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator

from tunelab.entities import TaskType
from tunelab.models._base import (
    ALL_TASKS,
    ModelContext,
    ModelSpec,
    Params,
    Space,
    check_valid_pair,
    early_stopping_rounds,
)
from tunelab.models._time_limit import xgboost_callback

MAX_ROUNDS = 10_000


class XGBoostSpec(ModelSpec):
    """XGBClassifier / XGBRegressor; the objective follows the labels (binary or softprob)."""

    rounds_param = "n_estimators"

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        import xgboost

        cls = xgboost.XGBRegressor if ctx.task is TaskType.REGRESSION else xgboost.XGBClassifier
        runtime = {
            "n_jobs": ctx.n_jobs,
            "random_state": ctx.random_state,
            "tree_method": "hist",
            "verbosity": 0,
        }
        return cls(**{**params, **runtime})

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "learning_rate": FloatDistribution(0.005, 0.3, log=True),
            "max_depth": IntDistribution(3, 10),
            "min_child_weight": FloatDistribution(0.5, max(2.0, min(64.0, ctx.n_rows / 50))),
            "subsample": FloatDistribution(0.5, 1.0),
            "colsample_bytree": FloatDistribution(0.4, 1.0),
            "reg_alpha": FloatDistribution(1e-4, 10.0, log=True),
            "reg_lambda": FloatDistribution(1e-3, 10.0, log=True),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {
            "n_estimators": MAX_ROUNDS,
            "learning_rate": 0.1,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "max_bin": 256,
        }

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_estimators": 100, "learning_rate": 0.15, "max_depth": 4}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        # After AutoGluon's XGBoost default and zero-shot configurations.
        return [
            {"learning_rate": 0.1, "max_depth": 6},
            {
                "learning_rate": 0.02,
                "max_depth": 10,
                "min_child_weight": 0.6,
                "colsample_bytree": 0.7,
            },
            {
                "learning_rate": 0.05,
                "max_depth": 4,
                "subsample": 0.8,
                "colsample_bytree": 0.8,
                "min_child_weight": 2.0,
            },
            {
                "learning_rate": 0.05,
                "max_depth": 8,
                "colsample_bytree": 0.6,
                "reg_lambda": 5.0,
            },
        ]

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
        limit = xgboost_callback(deadline)
        estimator.set_params(callbacks=[limit] if limit is not None else None)
        try:
            if X_valid is None:
                estimator.set_params(early_stopping_rounds=None)
                return estimator.fit(X, y, verbose=False)
            rounds = early_stopping_rounds(float(estimator.get_params()["learning_rate"]))
            estimator.set_params(early_stopping_rounds=rounds)
            return estimator.fit(X, y, eval_set=[(X_valid, y_valid)], verbose=False)
        finally:
            estimator.set_params(callbacks=None)  # never saved with the model

    def best_iteration(self, estimator: Any) -> int | None:
        try:
            best = estimator.best_iteration  # 0-based; AttributeError without early stopping
        except AttributeError:
            return None
        return int(best) + 1 if best is not None else None


XGBOOST = XGBoostSpec(name="xgboost", label="XGBoost", tasks=ALL_TASKS, flavor="tree", cost=1.5)
