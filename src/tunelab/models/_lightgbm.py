"""LightGBM (the cost reference: LightGBM with its defaults = 1.0)."""

from __future__ import annotations

from typing import Any

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator

from tunelab.entities import TaskType
from tunelab.models._base import (
    ALL_TASKS,
    MAX_LEAF_STEP,
    ModelContext,
    ModelSpec,
    Params,
    Space,
    check_valid_pair,
    early_stopping_rounds,
    scaled_int,
)
from tunelab.models._time_limit import lightgbm_callback

MAX_ROUNDS = 10_000


class LightGBMSpec(ModelSpec):
    """LGBMClassifier / LGBMRegressor with early stopping on the validation data."""

    rounds_param = "n_estimators"

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        import lightgbm

        cls = (
            lightgbm.LGBMRegressor if ctx.task is TaskType.REGRESSION else lightgbm.LGBMClassifier
        )
        runtime = {"n_jobs": ctx.n_jobs, "random_state": ctx.random_state, "verbose": -1}
        return cls(**{**params, **runtime})

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "learning_rate": FloatDistribution(0.005, 0.3, log=True),
            "num_leaves": IntDistribution(4, scaled_int(ctx.n_rows, 0.1, 8, 1024), log=True),
            "min_child_samples": IntDistribution(
                2, scaled_int(ctx.n_rows, 0.05, 4, 256), log=True
            ),
            "colsample_bytree": FloatDistribution(0.4, 1.0),
            "subsample": FloatDistribution(0.5, 1.0),
            "reg_alpha": FloatDistribution(1e-4, 10.0, log=True),
            "reg_lambda": FloatDistribution(1e-4, 10.0, log=True),
            "extra_trees": CategoricalDistribution((False, True)),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        # classification only: a regression leaf's value is in the target's units
        bound = {"max_delta_step": MAX_LEAF_STEP} if ctx.task.is_classification else {}
        return {
            "n_estimators": MAX_ROUNDS,
            "learning_rate": 0.1,  # converges in few rounds; slower rates are in the portfolio
            "num_leaves": 31,
            "min_child_samples": 20,
            "colsample_bytree": 0.9,
            "subsample": 1.0,
            "subsample_freq": 1,
            **bound,
        }

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 15}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        # After AutoGluon's GBM / GBMLarge / GBMXT presets and FLAML's zero-shot defaults.
        return [
            {"learning_rate": 0.05, "num_leaves": 31, "colsample_bytree": 0.9},
            {"learning_rate": 0.03, "num_leaves": 128, "min_child_samples": 3},
            {"learning_rate": 0.05, "num_leaves": 31, "extra_trees": True},
            {
                "learning_rate": 0.05,
                "num_leaves": 63,
                "colsample_bytree": 0.7,
                "subsample": 0.8,
                "reg_lambda": 1.0,
            },
            {
                "learning_rate": 0.1,
                "num_leaves": 15,
                "min_child_samples": 50,
                "colsample_bytree": 0.6,
                "reg_alpha": 0.1,
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
        limit = lightgbm_callback(deadline)
        if X_valid is None:
            return estimator.fit(X, y, callbacks=[limit] if limit is not None else None)
        import lightgbm

        rounds = early_stopping_rounds(float(estimator.get_params()["learning_rate"]))
        callbacks = [lightgbm.early_stopping(rounds, verbose=False)]
        if limit is not None:
            callbacks.append(limit)
        return estimator.fit(X, y, eval_X=(X_valid,), eval_y=(y_valid,), callbacks=callbacks)

    def best_iteration(self, estimator: Any) -> int | None:
        best = getattr(estimator, "best_iteration_", None)  # 1-based; 0 without early stopping
        return int(best) if best else None


LIGHTGBM = LightGBMSpec(
    name="lightgbm", label="LightGBM", tasks=ALL_TASKS, flavor="tree", cost=1.0
)
