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


# A fitted forest's size: every tree node is a 64-byte record plus its value (8 bytes per
# class, or one for regression); a tree with leaves of at least L of its n rows has at most
# 2n/L nodes. Forests are kept per fold (a trial is a bag of k of them) and saved in the
# bundle, so each is capped at ``FOREST_MB`` (more on large data: ``FOREST_KB_PER_ROW``).
# Regression trees grow to that bound: larger leaves (at most ``MAX_LEAF_RAISE`` x the asked
# leaf), then fewer trees. Classification trees stop at pure nodes, often far below it
# (measured: 0.3-1.3 n nodes), and larger leaves cost log-loss (segment 0.104 -> 0.140 at
# leaf 2, extra trees), so they get twice the cap and only fewer trees. Never fewer than
# ``MIN_TREES`` (or the trees asked, when fewer).
FOREST_MB = 16.0
FOREST_KB_PER_ROW = 1.0
CLASSIFIER_CAP_FACTOR = 2.0
NODE_BYTES = 64
MAX_LEAF_RAISE = 4
MIN_TREES = 50


def forest_size_guard(params: Params, ctx: ModelContext) -> Params:
    """``params`` with ``min_samples_leaf`` (regression) and ``n_estimators`` changed so the
    forest fits in its cap; unchanged when it already does."""
    width = NODE_BYTES + 8 * max(1, ctx.n_classes)
    trees = int(params.get("n_estimators", 100))
    leaf = params.get("min_samples_leaf", 1)
    if not isinstance(leaf, int):  # a fraction of the rows: sized by scikit-learn's rule
        return params
    floor = max(1, leaf, ctx.n_rows // 2_000)  # about 4,000 nodes per tree at most

    def mb(leaf: int, trees: int) -> float:
        return trees * 2 * ctx.n_rows / leaf * width / 2**20

    cap = max(FOREST_MB, FOREST_KB_PER_ROW * ctx.n_rows / 1024)
    needed = floor
    if ctx.task is TaskType.REGRESSION:
        needed = min(max(floor, int(-(-mb(1, trees) // cap))), floor * MAX_LEAF_RAISE)
    else:
        cap *= CLASSIFIER_CAP_FACTOR
    fewer = max(min(MIN_TREES, trees), min(trees, int(cap / mb(needed, 1))))
    out = {**params, "min_samples_leaf": needed}
    if fewer != trees or "n_estimators" in params:
        out["n_estimators"] = fewer
    return out


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
        # Size guard: fully grown trees make models of tens to hundreds of MB per fold (slow
        # to keep, save, load and predict): see ``forest_size_guard``.
        params = forest_size_guard(params, ctx)
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
