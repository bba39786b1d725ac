"""Support vector machines: linear SVC, kernel SVC / NuSVC (calibrated), SVR.

Probabilities come from :func:`calibrated` (sigmoid on 3 folds, one final model) rather than
``SVC(probability=True)``, which is deprecated since scikit-learn 1.9 and ran a slower
internal 5-fold Platt scaling. Kernel methods scale quadratically: ``max_rows`` is 10 000.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
from optuna.distributions import FloatDistribution
from sklearn.base import BaseEstimator
from sklearn.svm import SVC, SVR, LinearSVC, NuSVC

from tunelab.models._base import CLASSIFICATION, REGRESSION, ModelContext, ModelSpec, Params, Space
from tunelab.models._wrappers import calibrated, scaled_target

KERNEL_MAX_ROWS = 10_000
# libsvm has no iteration limit by default; some (C, gamma) pairs then run for many minutes.
# The polynomial kernel is left out of the spaces for the same reason (hung for > 60 s on 200
# rows with C ~ 500).
_MAX_ITER = 1_000_000


class FeasibleNuSVC(NuSVC):
    """NuSVC that lowers ``nu`` to the largest value feasible for the class balance.

    libsvm rejects ``nu`` above ``2 min(n_i, n_j) / (n_i + n_j)`` for some pair of classes;
    imbalanced data would make most of the search space fail. ``nu_`` holds the value used.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FeasibleNuSVC:
        counts = np.unique(np.asarray(y), return_counts=True)[1]
        limit = min(
            (2.0 * min(a, b) / (a + b) for a, b in combinations(counts.tolist(), 2)),
            default=1.0,
        )
        requested = self.get_params()["nu"]
        feasible = min(float(requested), 0.99 * limit)
        self.set_params(nu=feasible)
        try:
            super().fit(X, y, sample_weight=sample_weight)
        finally:
            self.set_params(nu=requested)
        self.nu_ = feasible
        return self


def _gamma_space(ctx: ModelContext) -> FloatDistribution:
    # gamma="scale" is 1 / (n_features * var(X)) ~ 1 / n_features on standardised input.
    return FloatDistribution(0.01 / ctx.n_features, 10.0 / ctx.n_features, log=True)


class LinearSVCSpec(ModelSpec):
    """Linear SVC (liblinear), calibrated for probabilities."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return calibrated(LinearSVC(**params, random_state=ctx.random_state), ctx)

    def search_space(self, ctx: ModelContext) -> Space:
        return {"C": FloatDistribution(1e-3, 100.0, log=True)}

    def default_params(self, ctx: ModelContext) -> Params:
        return {"C": 1.0, "max_iter": 5000}


class SVCSpec(ModelSpec):
    """Kernel SVC, calibrated for probabilities."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return calibrated(SVC(**params, random_state=ctx.random_state), ctx)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "C": FloatDistribution(1e-2, 1e3, log=True),
            "gamma": _gamma_space(ctx),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {
            "C": 1.0,
            "gamma": "scale",
            "kernel": "rbf",
            "cache_size": 500,
            "max_iter": _MAX_ITER,
        }

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        return [{"C": 10.0}]


class NuSVCSpec(ModelSpec):
    """Kernel NuSVC (``nu`` bounds the fraction of margin errors), calibrated."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return calibrated(FeasibleNuSVC(**params, random_state=ctx.random_state), ctx)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "nu": FloatDistribution(0.05, 0.8),
            "gamma": _gamma_space(ctx),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {
            "nu": 0.3,
            "gamma": "scale",
            "kernel": "rbf",
            "cache_size": 500,
            "max_iter": _MAX_ITER,
        }


class SVRSpec(ModelSpec):
    """Kernel SVR on the standardised target (``epsilon`` in standard deviations)."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return scaled_target(SVR(**params))

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "C": FloatDistribution(1e-2, 1e3, log=True),
            "epsilon": FloatDistribution(1e-3, 0.5, log=True),
            "gamma": _gamma_space(ctx),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {
            "C": 1.0,
            "epsilon": 0.1,
            "gamma": "scale",
            "cache_size": 500,
            "max_iter": _MAX_ITER,
        }

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        return [{"C": 10.0, "epsilon": 0.05}]


LINEAR_SVC = LinearSVCSpec(
    name="linear_svc", label="Linear SVC", tasks=CLASSIFICATION, flavor="linear", cost=0.8,
    max_rows=200_000,
)  # fmt: skip
SVC_SPEC = SVCSpec(
    name="svc", label="SVC", tasks=CLASSIFICATION, flavor="linear", cost=10.0,
    max_rows=KERNEL_MAX_ROWS,
)  # fmt: skip
NU_SVC = NuSVCSpec(
    name="nu_svc", label="Nu-SVC", tasks=CLASSIFICATION, flavor="linear", cost=12.0,
    max_rows=KERNEL_MAX_ROWS,
)  # fmt: skip
SVR_SPEC = SVRSpec(
    name="svr", label="SVR", tasks=REGRESSION, flavor="linear", cost=8.0,
    max_rows=KERNEL_MAX_ROWS,
)  # fmt: skip
