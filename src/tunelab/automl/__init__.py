"""The AutoML facade: ``AutoML`` and the scikit-learn estimators built on it."""

from tunelab.automl._clustering import ClusteringAutoML
from tunelab.automl._facade import AutoML
from tunelab.automl._settings import check_settings
from tunelab.automl._sklearn import TunelabClassifier, TunelabRegressor

__all__ = ["AutoML", "ClusteringAutoML", "TunelabClassifier", "TunelabRegressor", "check_settings"]
