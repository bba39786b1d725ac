"""CatBoost, early stopping on the validation data (the model keeps its best iteration)."""

from __future__ import annotations

from typing import Any

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
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
from tunelab.models._time_limit import catboost_callback

MAX_ROUNDS = 10_000
_LOSS = {
    TaskType.BINARY: "Logloss",
    TaskType.MULTICLASS: "MultiClass",
    TaskType.REGRESSION: "RMSE",
}


class CatBoostSpec(ModelSpec):
    """CatBoostClassifier / CatBoostRegressor; silent, writes no files, ``thread_count=n_jobs``."""

    rounds_param = "iterations"

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        import catboost

        cls = (
            catboost.CatBoostRegressor
            if ctx.task is TaskType.REGRESSION
            else catboost.CatBoostClassifier
        )
        runtime = {
            "thread_count": ctx.n_jobs,
            "random_seed": ctx.random_state,
            "verbose": 0,
            "allow_writing_files": False,
            "loss_function": _LOSS[ctx.task],
        }
        estimator: BaseEstimator = cls(**{**params, **runtime})
        return estimator

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "learning_rate": FloatDistribution(0.01, 0.3, log=True),
            "depth": IntDistribution(4, 10),
            "l2_leaf_reg": FloatDistribution(0.5, 30.0, log=True),
            "random_strength": FloatDistribution(0.1, 10.0, log=True),
            "rsm": FloatDistribution(0.5, 1.0),
            "grow_policy": CategoricalDistribution(("SymmetricTree", "Depthwise")),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        # 0.1 rather than CatBoost's usual 0.03-0.05: under a time budget the slower rates
        # are cut off by the deadline before converging (they remain in the portfolio).
        return {"iterations": MAX_ROUNDS, "learning_rate": 0.1, "depth": 6, "l2_leaf_reg": 3.0}

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"iterations": 100, "learning_rate": 0.15, "depth": 4}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        # After AutoGluon's CatBoost default and zero-shot configurations.
        return [
            {"learning_rate": 0.05, "depth": 6, "l2_leaf_reg": 3.0},
            {"learning_rate": 0.05, "depth": 5, "l2_leaf_reg": 4.8},
            {"learning_rate": 0.075, "depth": 4, "l2_leaf_reg": 2.7, "grow_policy": "Depthwise"},
            {"learning_rate": 0.03, "depth": 8, "l2_leaf_reg": 1.75},
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
        limit = catboost_callback(deadline)
        callbacks = [limit] if limit is not None else None
        if X_valid is None:
            return estimator.fit(X, y, callbacks=callbacks)
        rounds = early_stopping_rounds(float(estimator.get_params()["learning_rate"]))
        return estimator.fit(
            X,
            y,
            eval_set=(X_valid, y_valid),
            early_stopping_rounds=rounds,
            use_best_model=True,
            callbacks=callbacks,
        )

    def best_iteration(self, estimator: Any) -> int | None:
        best = estimator.get_best_iteration()  # 0-based; None without validation data
        return int(best) + 1 if best is not None else None


CATBOOST = CatBoostSpec(
    name="catboost", label="CatBoost", tasks=ALL_TASKS, flavor="tree", cost=3.0
)
