"""Per-column settings -> one fitted scikit-learn pipeline (see docs/preprocessing.md)."""

from tunelab.preprocessing._build import build_preprocessor
from tunelab.preprocessing._codes import categorical_code_columns
from tunelab.preprocessing._coerce import FrameCoercer
from tunelab.preprocessing._encode import CategoricalEncoder
from tunelab.preprocessing._features import DatetimeExpander, TextFeatures
from tunelab.preprocessing._model import FitEstimator, TabularModel, make_model_pipeline
from tunelab.preprocessing._numeric import ModelImputer, NumericTransform
from tunelab.preprocessing._project import CappedPolynomial, Projection
from tunelab.preprocessing._recommend import recommend
from tunelab.preprocessing._rows import rows_to_keep
from tunelab.preprocessing._select import BorutaSelector, UnivariateSelector, VarianceFilter

__all__ = [
    "BorutaSelector",
    "CappedPolynomial",
    "CategoricalEncoder",
    "DatetimeExpander",
    "FitEstimator",
    "FrameCoercer",
    "ModelImputer",
    "NumericTransform",
    "Projection",
    "TabularModel",
    "TextFeatures",
    "UnivariateSelector",
    "VarianceFilter",
    "build_preprocessor",
    "categorical_code_columns",
    "make_model_pipeline",
    "recommend",
    "rows_to_keep",
]
