"""k-nearest neighbours (prediction cost grows with the training set: ``max_rows`` 50 000)."""

from __future__ import annotations

from optuna.distributions import CategoricalDistribution, IntDistribution
from sklearn.base import BaseEstimator
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from tunelab.entities import TaskType
from tunelab.models._base import ALL_TASKS, ModelContext, ModelSpec, Params, Space


def _max_neighbors(ctx: ModelContext) -> int:
    # A CV training fold holds fewer rows than ctx.n_rows: stay well below it.
    return max(1, min(100, ctx.n_rows // 4))


class KNNSpec(ModelSpec):
    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        cls = KNeighborsRegressor if ctx.task is TaskType.REGRESSION else KNeighborsClassifier
        return cls(**params, n_jobs=ctx.n_jobs)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "n_neighbors": IntDistribution(1, _max_neighbors(ctx), log=True),
            "weights": CategoricalDistribution(("uniform", "distance")),
            "p": CategoricalDistribution((1, 2)),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {"n_neighbors": min(15, _max_neighbors(ctx)), "weights": "distance", "p": 2}

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_neighbors": min(5, _max_neighbors(ctx)), "weights": "uniform"}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        # AutoGluon's two KNN presets differ only in the weighting.
        return [{"weights": "distance"}, {"weights": "uniform"}]


KNN = KNNSpec(
    name="knn", label="k-nearest neighbours", tasks=ALL_TASKS, flavor="linear", cost=0.5,
    max_rows=50_000,
)  # fmt: skip
