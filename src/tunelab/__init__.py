"""tunelab: a self-hosted AutoML and MLOps lab for tabular data.

Heavy modules load on first use, so ``import tunelab`` stays fast.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "AutoML": "tunelab.automl",
    "Client": "tunelab.client",
    "ClusteringAutoML": "tunelab.automl",
    "TunelabClassifier": "tunelab.automl",
    "TunelabRegressor": "tunelab.automl",
    "load_bundle": "tunelab.bundles",
    "tune": "tunelab.katib",
}

__all__ = [
    "AutoML",
    "Client",
    "ClusteringAutoML",
    "TunelabClassifier",
    "TunelabRegressor",
    "__version__",
    "load_bundle",
    "tune",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tunelab' has no attribute {name!r}")
    return getattr(import_module(module), name)
