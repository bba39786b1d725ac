"""Model families: factories, search spaces, defaults, portfolios and early-stopping fits.

Each family is a :class:`ModelSpec` in its own module; ``_registry.MODEL_SPECS`` lists them.
"""

from tunelab.models._base import ModelContext, ModelSpec, early_stopping_rounds
from tunelab.models._budget import estimated_fit_seconds, families_for_budget
from tunelab.models._persistence import trusted_types
from tunelab.models._registry import (
    MODEL_SPECS,
    available_model_names,
    get_model_spec,
    list_model_specs,
)
from tunelab.models._sk_svm import FeasibleNuSVC
from tunelab.models._threads import ThreadLimited

__all__ = [
    "MODEL_SPECS",
    "FeasibleNuSVC",
    "ModelContext",
    "ModelSpec",
    "ThreadLimited",
    "available_model_names",
    "early_stopping_rounds",
    "estimated_fit_seconds",
    "families_for_budget",
    "get_model_spec",
    "list_model_specs",
    "trusted_types",
]
