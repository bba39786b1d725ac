"""Types a fitted tunelab model may contain beyond what skops trusts by default.

skops 0.16 saves LightGBM, XGBoost and CatBoost estimators without pickle: their boosters are
stored in each library's own format (LightGBM's model text, XGBoost's UBJSON raw bytes,
CatBoost's ``.cbm`` bytes) through ``__getstate__``. Loading them needs these names passed as
``trusted`` to ``skops.io.load``; :func:`trusted_types` lists them for the bundle loader,
together with the scikit-learn internals (tree structures, calibrators, neighbour indexes)
and tunelab's own small estimators that skops 0.16 does not trust by default.
"""

from __future__ import annotations

_TRUSTED_TYPES = (
    "catboost.core.CatBoostClassifier",
    "catboost.core.CatBoostRegressor",
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.metrics._dist_metrics.EuclideanDistance32",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance32",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance32",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
    "tunelab.models._sk_nb.SignSplit",
    "tunelab.models._sk_svm.FeasibleNuSVC",
    "tunelab.models._threads.ThreadLimited",
    "tunelab.models._torch_net.TorchMLPClassifier",
    "tunelab.models._torch_net.TorchMLPRegressor",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
)


def trusted_types() -> list[str]:
    """Fully qualified type names to trust when loading a tunelab model with skops."""
    return list(_TRUSTED_TYPES)
