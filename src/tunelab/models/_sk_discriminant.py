"""Linear and quadratic discriminant analysis (both shrunk: one-hot input is often collinear)."""

from __future__ import annotations

from optuna.distributions import FloatDistribution
from sklearn.base import BaseEstimator
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)

from tunelab.models._base import CLASSIFICATION, ModelContext, ModelSpec, Params, Space


class LDASpec(ModelSpec):
    """LDA with the lsqr solver; ``shrinkage`` is "auto" (Ledoit-Wolf) or a value in [0, 1]."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return LinearDiscriminantAnalysis(**params)

    def search_space(self, ctx: ModelContext) -> Space:
        return {"shrinkage": FloatDistribution(0.0, 1.0)}

    def default_params(self, ctx: ModelContext) -> Params:
        return {"solver": "lsqr", "shrinkage": "auto"}


class QDASpec(ModelSpec):
    """QDA; ``reg_param`` regularises each class covariance towards the identity."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return QuadraticDiscriminantAnalysis(**params)

    def search_space(self, ctx: ModelContext) -> Space:
        return {"reg_param": FloatDistribution(0.0, 1.0)}

    def default_params(self, ctx: ModelContext) -> Params:
        return {"reg_param": 0.1}


LDA = LDASpec(
    name="lda", label="Linear discriminant analysis", tasks=CLASSIFICATION, flavor="linear",
    cost=0.05,
)  # fmt: skip
QDA = QDASpec(
    name="qda", label="Quadratic discriminant analysis", tasks=CLASSIFICATION, flavor="linear",
    cost=0.05,
)  # fmt: skip
