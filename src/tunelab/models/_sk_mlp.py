"""scikit-learn multi-layer perceptron (Adam, internal early stopping).

The architecture is tuned through two plain numbers, ``n_layers`` and ``units`` (the width of
the first layer; each next layer is half as wide), turned into ``hidden_layer_sizes`` by
``make``. An explicit ``hidden_layer_sizes`` tuple is passed through unchanged. The model is
wrapped in :class:`ThreadLimited` so that BLAS uses ``ctx.n_jobs`` threads.
"""

from __future__ import annotations

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator
from sklearn.neural_network import MLPClassifier, MLPRegressor

from tunelab.entities import TaskType
from tunelab.models._base import ALL_TASKS, ModelContext, ModelSpec, Params, Space
from tunelab.models._threads import ThreadLimited
from tunelab.models._wrappers import scaled_target


def hidden_layers(n_layers: int, units: int) -> tuple[int, ...]:
    """``(units, units // 2, ...)`` with ``n_layers`` entries, each at least 8 wide."""
    return tuple(max(8, int(units) // 2**i) for i in range(int(n_layers)))


class MLPSpec(ModelSpec):
    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        params = dict(params)
        n_layers, units = params.pop("n_layers", None), params.pop("units", None)
        if "hidden_layer_sizes" not in params and n_layers is not None and units is not None:
            params["hidden_layer_sizes"] = hidden_layers(n_layers, units)
        if ctx.task is TaskType.REGRESSION:
            model = scaled_target(MLPRegressor(**params, random_state=ctx.random_state))
        else:
            model = MLPClassifier(**params, random_state=ctx.random_state)
        return ThreadLimited(model, n_jobs=ctx.n_jobs)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "n_layers": IntDistribution(1, 3),
            "units": IntDistribution(16, 512, log=True),
            "alpha": FloatDistribution(1e-6, 1e-1, log=True),
            "learning_rate_init": FloatDistribution(1e-4, 1e-2, log=True),
            "activation": CategoricalDistribution(("relu", "tanh")),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {
            "n_layers": 2,
            "units": 128,
            "alpha": 1e-4,
            "learning_rate_init": 1e-3,
            "activation": "relu",
            "max_iter": 300,
            "early_stopping": True,
            "validation_fraction": 0.1,
            "n_iter_no_change": 10,
        }

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_layers": 1, "units": 32, "max_iter": 50}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        return [{"n_layers": 3, "units": 256, "alpha": 1e-3, "learning_rate_init": 5e-4}]


MLP = MLPSpec(name="mlp", label="Neural network (MLP)", tasks=ALL_TASKS, flavor="linear", cost=4.0)
