"""scikit-learn decision tree and forests (all accept NaN since scikit-learn 1.4-1.6)."""

from __future__ import annotations

from typing import ClassVar

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from tunelab.entities import TaskType
from tunelab.models._base import ALL_TASKS, ModelContext, ModelSpec, Params, Space, scaled_int

_CLF_CRITERIA = ("gini", "entropy", "log_loss")


def _leaf_space(ctx: ModelContext) -> IntDistribution:
    return IntDistribution(1, scaled_int(ctx.n_rows, 0.01, 2, 64), log=True)


class DecisionTreeSpec(ModelSpec):
    """A single CART tree: a fast, interpretable baseline."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        cls = DecisionTreeRegressor if ctx.task is TaskType.REGRESSION else DecisionTreeClassifier
        return cls(**params, random_state=ctx.random_state)

    def search_space(self, ctx: ModelContext) -> Space:
        space: Space = {
            "max_depth": IntDistribution(2, 24),
            "min_samples_leaf": _leaf_space(ctx),
            "max_features": FloatDistribution(0.3, 1.0),
        }
        if ctx.task.is_classification:
            space["criterion"] = CategoricalDistribution(_CLF_CRITERIA)
        return space

    def default_params(self, ctx: ModelContext) -> Params:
        return {"max_depth": 12, "min_samples_leaf": 5}

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"max_depth": 6}


class _ForestSpec(ModelSpec):
    """Shared by random forest and extra trees; subclasses name the two classes."""

    classifier: ClassVar[type[BaseEstimator]]
    regressor: ClassVar[type[BaseEstimator]]

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        cls = self.regressor if ctx.task is TaskType.REGRESSION else self.classifier
        # Size guard: fully grown trees on large data make models of hundreds of MB per fold
        # (slow to save, load and predict). Leaves of at least n_rows / 2,000 rows cap a tree
        # at about 4,000 nodes (~40 MB for 150 trees) while costing little accuracy.
        floor = max(1, ctx.n_rows // 2_000)
        leaf = params.get("min_samples_leaf", 1)
        if isinstance(leaf, int) and leaf < floor:
            params = {**params, "min_samples_leaf": floor}
        return cls(**params, n_jobs=ctx.n_jobs, random_state=ctx.random_state)

    def search_space(self, ctx: ModelContext) -> Space:
        space: Space = {
            "n_estimators": IntDistribution(50, 500, log=True),
            "max_features": FloatDistribution(0.1, 1.0),
            "min_samples_leaf": _leaf_space(ctx),
        }
        if ctx.task.is_classification:
            space["criterion"] = CategoricalDistribution(_CLF_CRITERIA)
        return space

    def default_params(self, ctx: ModelContext) -> Params:
        max_features = 1.0 if ctx.task is TaskType.REGRESSION else "sqrt"
        return {"n_estimators": 150, "max_features": max_features, "min_samples_leaf": 1}

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {
            "n_estimators": 50,
            "max_features": 0.5 if ctx.task is TaskType.REGRESSION else "sqrt",
        }

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        # After AutoGluon's zero-shot RF/XT configurations (max_features 0.75/1.0, small leaves).
        configs: list[Params] = [
            self.default_params(ctx),
            {"max_features": 0.75, "min_samples_leaf": 1},
            {"max_features": 1.0, "min_samples_leaf": 5},
            {"max_features": 0.5, "min_samples_leaf": 2},
        ]
        if ctx.task.is_classification:
            configs.append({"max_features": "sqrt", "criterion": "entropy"})
        return configs


class RandomForestSpec(_ForestSpec):
    classifier = RandomForestClassifier
    regressor = RandomForestRegressor


class ExtraTreesSpec(_ForestSpec):
    classifier = ExtraTreesClassifier
    regressor = ExtraTreesRegressor


DECISION_TREE = DecisionTreeSpec(
    name="decision_tree", label="Decision tree", tasks=ALL_TASKS, flavor="tree", cost=0.1
)
RANDOM_FOREST = RandomForestSpec(
    name="random_forest", label="Random forest", tasks=ALL_TASKS, flavor="tree", cost=2.0
)
EXTRA_TREES = ExtraTreesSpec(
    name="extra_trees", label="Extra trees", tasks=ALL_TASKS, flavor="tree", cost=1.2
)
