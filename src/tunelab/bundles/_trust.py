"""The exact types a bundle's model file may hold beyond what skops trusts by default.

The list is tunelab's own, written here as strings (no library is imported to build it), and
keyed by the library a type comes from so that a bundle needs only its own libraries' names.
Nothing in a bundle can add to it: ``manifest.json`` records which types and libraries the
model needs, but loading trusts only this list. There are no prefixes: ``numpy.savetxt`` or
``numpy.ctypeslib.load_library`` are refused because they are not on it, not because a deny
list caught them.

Functions are classes' dangerous cousins (skops calls them while loading, or the model calls
them later), so only two audited, side-effect-free ones are listed, in
:data:`AUDITED_FUNCTIONS`, each with the reason it is needed.

``tests/unit/bundles/test_bundle_trust_list.py`` saves a bundle of every model family,
preprocessing option and ensemble kind and proves each loads with this list, so the list
cannot silently fall behind the code.
"""

from __future__ import annotations

from collections.abc import Iterable

from tunelab.entities import BundleError

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
LIBRARIES = tuple(TRUSTED_TYPES)
_LIBRARY_OF = {name: lib for lib, names in TRUSTED_TYPES.items() for name in names}


def trusted_types(libraries: Iterable[str] | None = None) -> list[str]:
    """The exact trusted names of ``libraries`` (default: all), sorted."""
    libs = LIBRARIES if libraries is None else tuple(libraries)
    unknown = sorted(set(libs) - set(LIBRARIES))
    if unknown:
        raise BundleError(
            f"unknown model librar{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(map(repr, unknown))}; tunelab knows {', '.join(LIBRARIES)}"
        )
    return sorted(name for lib in libs for name in TRUSTED_TYPES[lib])


def is_trusted(type_name: str) -> bool:
    """True when ``type_name`` (``module.Qualname``) is on tunelab's exact list."""
    return type_name in _LIBRARY_OF


def libraries_of(type_names: Iterable[str]) -> list[str]:
    """The libraries (keys of :data:`TRUSTED_TYPES`) the trusted ``type_names`` come from."""
    return sorted({_LIBRARY_OF[t] for t in type_names if t in _LIBRARY_OF})


def check_types(
    type_names: Iterable[str], source: str, libraries: Iterable[str] | None = None
) -> list[str]:
    """The names as a sorted list; BundleError naming every one off the list of ``libraries``."""
    names = sorted({str(t) for t in type_names})
    allowed = set(trusted_types(libraries))
    refused = [name for name in names if name not in allowed]
    if refused:
        shown = ", ".join(repr(n) for n in refused)
        raise BundleError(
            f"{source} holds the type(s) {shown}, which tunelab does not trust; "
            "refusing to load it (nothing in it was run)"
        )
    return names
