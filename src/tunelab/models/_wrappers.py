"""Standard wrappers that give a bare estimator what the engine needs.

* :func:`calibrated` adds ``predict_proba`` to margin classifiers (LinearSVC, SVC, ...) by Platt
  scaling on 3 internal folds, then refits one model on all rows (``ensemble=False``: one model
  to store and to predict with, as ``SVC(probability=True)`` did).
* :func:`scaled_target` standardises the regression target, so that scale-dependent
  hyperparameters (Lasso ``alpha``, SVR ``epsilon``, MLP step sizes) mean the same on any data.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler

from tunelab.models._base import ModelContext

CALIBRATION_FOLDS = 3


def calibrated(estimator: BaseEstimator, ctx: ModelContext) -> BaseEstimator:
    """Sigmoid-calibrated probabilities for a classifier that only has ``decision_function``."""
    return CalibratedClassifierCV(
        estimator, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False, n_jobs=ctx.n_jobs
    )


def scaled_target(regressor: BaseEstimator) -> BaseEstimator:
    """Fit ``regressor`` on the standardised target; predictions come back in original units."""
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())
