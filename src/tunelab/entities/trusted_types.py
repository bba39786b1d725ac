"""tunelab's exact list of the types its fitted models are made of, as plain strings.

One list for every loader of saved models: model bundles (``tunelab.bundles``, which also
checks the manifest's libraries against it) and the search's checkpointed fold models
(``tunelab.search``). skops trusts nothing else from a file; nothing in a file can add to it.
Keyed by the library each type comes from. Strings only: building it imports nothing.
"""

from __future__ import annotations

#: Functions a tunelab model may hold, and why each is safe: both are pure reductions of an
#: array that return a number and touch nothing else.
AUDITED_FUNCTIONS: dict[str, str] = {
    "numpy.mean": "FeatureAgglomeration's pooling function (feature_engineering='feature_"
    "agglomeration'); numpy.mean only averages an array",
    "tunelab.preprocessing._numeric.column_minimum": "the 'minimum' imputation strategy; "
    "returns float(np.min(values))",
}

TRUSTED_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"collections.OrderedDict"}),
    "numpy": frozenset({"numpy.dtype", "numpy.mean"}),
    "sklearn": frozenset(
        {
            "sklearn.calibration._CalibratedClassifier",
            "sklearn.calibration._SigmoidCalibration",
            "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
            "sklearn.impute._iterative.IterativeImputer",
            "sklearn.impute._iterative._ImputerTriplet",
            "sklearn.metrics._dist_metrics.EuclideanDistance32",
            "sklearn.metrics._dist_metrics.EuclideanDistance64",
            "sklearn.metrics._dist_metrics.ManhattanDistance32",
            "sklearn.metrics._dist_metrics.ManhattanDistance64",
            "sklearn.metrics._dist_metrics.MinkowskiDistance32",
            "sklearn.metrics._dist_metrics.MinkowskiDistance64",
            "sklearn.model_selection._split.KFold",
            "sklearn.model_selection._split.StratifiedKFold",
            "sklearn.neighbors._ball_tree.BallTree",
            "sklearn.neighbors._kd_tree.KDTree",
            "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
            "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
            "sklearn.tree._tree.Tree",
        }
    ),
    "lightgbm": frozenset(
        {
            "lightgbm.basic.Booster",
            "lightgbm.sklearn.LGBMClassifier",
            "lightgbm.sklearn.LGBMRegressor",
        }
    ),
    "xgboost": frozenset(
        {
            "xgboost.core.Booster",
            "xgboost.sklearn.XGBClassifier",
            "xgboost.sklearn.XGBRegressor",
        }
    ),
    "catboost": frozenset({"catboost.core.CatBoostClassifier", "catboost.core.CatBoostRegressor"}),
    "tunelab": frozenset(
        {
            "tunelab.clustering._estimator.BirchClustering",
            "tunelab.clustering._estimator.ClusterModel",
            "tunelab.clustering._estimator.ClusterPipeline",
            "tunelab.clustering._estimator.DensityClustering",
            "tunelab.ensembling._estimators.FoldBag",
            "tunelab.ensembling._estimators.StackedEnsemble",
            "tunelab.ensembling._estimators.WeightedEnsemble",
            "tunelab.entities.preprocessing.ColumnSettings",
            "tunelab.entities.preprocessing.PreprocessingSettings",
            "tunelab.models._sk_nb.SignSplit",
            "tunelab.models._sk_svm.FeasibleNuSVC",
            "tunelab.models._threads.ThreadLimited",
            "tunelab.models._torch_net.TorchMLPClassifier",
            "tunelab.models._torch_net.TorchMLPRegressor",
            "tunelab.preprocessing._coerce.FrameCoercer",
            "tunelab.preprocessing._encode.CategoricalEncoder",
            "tunelab.preprocessing._features.DatetimeExpander",
            "tunelab.preprocessing._features.TextFeatures",
            "tunelab.preprocessing._model.TabularModel",
            "tunelab.preprocessing._numeric.ModelImputer",
            "tunelab.preprocessing._numeric.NumericTransform",
            "tunelab.preprocessing._numeric.column_minimum",
            "tunelab.preprocessing._project.CappedPolynomial",
            "tunelab.preprocessing._project.Projection",
            "tunelab.preprocessing._select.BorutaSelector",
            "tunelab.preprocessing._select.UnivariateSelector",
            "tunelab.preprocessing._select.VarianceFilter",
        }
    ),
}
