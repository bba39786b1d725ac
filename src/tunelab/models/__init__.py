"""Model families: factories, search spaces, defaults, portfolios and early-stopping fits.

Each family is a :class:`ModelSpec` in its own module; ``_registry.MODEL_SPECS`` lists them.
The names below are imported on first use (PEP 562), so loading a saved model (whose
classes live in ``tunelab.models._wrappers`` and friends) does not import every family's
library; the search imports the families it runs in its parent process before forking
trials (``tunelab.search._loop._Search.preload``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "ModelContext": "_base",
    "ModelSpec": "_base",
    "early_stopping_rounds": "_base",
    "estimated_fit_seconds": "_budget",
    "families_for_budget": "_budget",
    "trusted_types": "_persistence",
    "MODEL_SPECS": "_registry",
    "available_model_names": "_registry",
    "get_model_spec": "_registry",
    "list_model_specs": "_registry",
    "FeasibleNuSVC": "_sk_svm",
    "ThreadLimited": "_threads",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tunelab.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tunelab.models.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
