"""The AutoML facade: ``AutoML`` and the scikit-learn estimators built on it.

``ClusteringAutoML`` is imported on first use: a supervised run never pays for the
clustering families (``sklearn.cluster``) it does not use.
"""

from typing import TYPE_CHECKING, Any

from tunelab.automl._facade import AutoML
from tunelab.automl._settings import check_settings
from tunelab.automl._sklearn import TunelabClassifier, TunelabRegressor

if TYPE_CHECKING:
    from tunelab.automl._clustering import ClusteringAutoML

__all__ = ["AutoML", "ClusteringAutoML", "TunelabClassifier", "TunelabRegressor", "check_settings"]


def __getattr__(name: str) -> Any:
    if name != "ClusteringAutoML":
        raise AttributeError(f"module 'tunelab.automl' has no attribute {name!r}")
    from tunelab.automl._clustering import ClusteringAutoML

    globals()[name] = ClusteringAutoML
    return ClusteringAutoML
