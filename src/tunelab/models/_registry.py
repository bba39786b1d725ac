"""The explicit list of model families. Importing this module has no side effects."""

from __future__ import annotations

from tunelab.entities import ConfigError, TaskType
from tunelab.models._base import ModelSpec
from tunelab.models._catboost import CATBOOST
from tunelab.models._lightgbm import LIGHTGBM
from tunelab.models._sk_boosting import ADABOOST, GRADIENT_BOOSTING, HIST_GRADIENT_BOOSTING
from tunelab.models._sk_discriminant import LDA, QDA
from tunelab.models._sk_linear import (
    BAYESIAN_RIDGE,
    ELASTIC_NET,
    HUBER,
    LASSO,
    LINEAR_REGRESSION,
    LOGISTIC_REGRESSION,
    PASSIVE_AGGRESSIVE,
    RIDGE,
    SGD,
)
from tunelab.models._sk_mlp import MLP
from tunelab.models._sk_nb import BERNOULLI_NB, GAUSSIAN_NB, MULTINOMIAL_NB
from tunelab.models._sk_neighbors import KNN
from tunelab.models._sk_svm import LINEAR_SVC, NU_SVC, SVC_SPEC, SVR_SPEC
from tunelab.models._sk_trees import DECISION_TREE, EXTRA_TREES, RANDOM_FOREST
from tunelab.models._torch_mlp import TORCH_MLP
from tunelab.models._xgboost import XGBOOST

# Strong, general-purpose families first: this order is the default search order.
MODEL_SPECS: tuple[ModelSpec, ...] = (
    LIGHTGBM,
    CATBOOST,
    XGBOOST,
    EXTRA_TREES,
    RANDOM_FOREST,
    LOGISTIC_REGRESSION,
    RIDGE,
    KNN,
    MLP,
    HIST_GRADIENT_BOOSTING,
    GRADIENT_BOOSTING,
    ADABOOST,
    DECISION_TREE,
    LINEAR_REGRESSION,
    LASSO,
    ELASTIC_NET,
    BAYESIAN_RIDGE,
    HUBER,
    SGD,
    PASSIVE_AGGRESSIVE,
    LINEAR_SVC,
    SVC_SPEC,
    NU_SVC,
    SVR_SPEC,
    LDA,
    QDA,
    GAUSSIAN_NB,
    BERNOULLI_NB,
    MULTINOMIAL_NB,
    TORCH_MLP,  # opt-in (needs PyTorch); not in the default lists of ``_budget``
)

_BY_NAME: dict[str, ModelSpec] = {spec.name: spec for spec in MODEL_SPECS}


def get_model_spec(name: str) -> ModelSpec:
    """The family called ``name``; ConfigError naming it and listing the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(f"unknown algorithm {name!r}; known algorithms: {known}") from None


def list_model_specs(task: TaskType) -> list[ModelSpec]:
    """Every family that supports ``task``, strong general-purpose families first."""
    return [spec for spec in MODEL_SPECS if task in spec.tasks]


def available_model_names(task: TaskType) -> list[str]:
    """Names users may pass in ``--algorithms`` for ``task``."""
    return [spec.name for spec in list_model_specs(task)]
