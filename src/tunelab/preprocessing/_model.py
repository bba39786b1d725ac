"""One fitted estimator: row filtering at fit time, preprocessing, and the model."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import Pipeline
from sklearn.utils import ClassifierTags, RegressorTags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from tunelab.entities import DataError, PreprocessingSettings, TaskType
from tunelab.preprocessing._build import build_preprocessor
from tunelab.preprocessing._codes import categorical_code_columns
from tunelab.preprocessing._rows import rows_to_keep
from tunelab.preprocessing._settings import check_flavor, check_task, used_columns

FitEstimator = Callable[[Any, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None], Any]
"""``fit_estimator(estimator, Xt, y, Xt_valid, y_valid) -> fitted estimator`` (or None)."""


def _estimator_has(attr: str) -> Callable[[Any], bool]:
    def check(self: "TabularModel") -> bool:
        target = getattr(self, "estimator_", self.estimator)
        return hasattr(target, attr)

    return check


class TabularModel(BaseEstimator):
    """Preprocessing plus a model as ONE sklearn estimator that takes raw DataFrames.

    ``fit`` drops training rows that are outliers (IQR or z-score rules) or miss a value
    in a ``drop_rows`` column, fits the preprocessor (:func:`build_preprocessor`) on the
    remaining rows, then a clone of ``estimator`` on the transformed matrix. Prediction
    never drops rows: ``drop_rows`` columns are imputed there with the median (numbers) or
    most frequent value (categories) learned at fit time.

    Args:
        settings: the preprocessing settings.
        estimator: an unfitted sklearn-compatible model taking a float matrix.
        task: a ``TaskType`` value.
        flavor: ``"tree"``, ``"linear"`` or ``"embed"``. With ``"embed"``, an estimator that
            has a ``categorical_features`` parameter gets the output columns holding
            category codes (see :func:`categorical_code_columns`) before it is fitted.

    Attributes:
        preprocessor_: the fitted preprocessing Pipeline.
        estimator_: the fitted clone of ``estimator``.
        classes_: class labels (classification).
        feature_names_in_: the input columns the model reads (used columns, settings order).
        n_features_in_: their count.
        n_rows_dropped_: training rows removed by outlier/``drop_rows`` rules.
    """

    def __init__(
        self,
        settings: PreprocessingSettings | None = None,
        estimator: Any = None,
        task: str = "binary",
        flavor: str = "tree",
    ) -> None:
        self.settings = settings
        self.estimator = estimator
        self.task = task
        self.flavor = flavor

    def fit(
        self,
        X: pd.DataFrame,
        y: Any,
        *,
        eval_frame: pd.DataFrame | None = None,
        eval_target: Any = None,
        fit_estimator: FitEstimator | None = None,
    ) -> "TabularModel":
        """Fit on a raw DataFrame.

        Args:
            X: training rows.
            y: training target, aligned by position with ``X``.
            eval_frame, eval_target: optional validation rows (e.g. for early stopping);
                transformed by the fitted preprocessor, never dropped or fitted on.
            fit_estimator: ``fit_estimator(estimator, Xt, y, Xt_valid, y_valid)`` fits the
                given clone (e.g. ``ModelSpec.fit``) and returns it (None keeps the clone);
                without it, ``estimator.fit(Xt, y)`` is called.
        """
        settings, estimator = self._checked()
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"TabularModel.fit needs a pandas DataFrame, got {type(X).__name__}")
        target = _as_array(y)
        if len(target) != len(X):
            raise DataError(f"X has {len(X)} rows but the target has {len(target)} values")
        keep = rows_to_keep(X, settings)
        X_fit, y_fit = X.loc[keep], target[keep]
        self.n_rows_dropped_ = int((~keep).sum())
        self.preprocessor_: Pipeline = build_preprocessor(
            settings, task=self.task, flavor=self.flavor
        )
        Xt = self.preprocessor_.fit_transform(X_fit, y_fit)
        fitted = clone(estimator)
        if self.flavor == "embed" and "categorical_features" in fitted.get_params():
            codes = categorical_code_columns(self.preprocessor_)
            fitted.set_params(categorical_features=tuple(codes))
        if fit_estimator is None:
            fitted.fit(Xt, y_fit)
        else:
            Xv = yv = None
            if eval_frame is not None:
                Xv = self.preprocessor_.transform(eval_frame)
                yv = _as_array(eval_target)
            result = fit_estimator(fitted, Xt, y_fit, Xv, yv)
            fitted = fitted if result is None else result
        self.estimator_ = fitted
        if hasattr(fitted, "classes_"):
            self.classes_ = fitted.classes_
        self.feature_names_in_ = np.array([c.name for c in used_columns(settings)], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def _checked(self) -> tuple[PreprocessingSettings, Any]:
        check_task(self.task)
        check_flavor(self.flavor)
        if self.settings is None or self.estimator is None:
            raise DataError("TabularModel needs both settings and an estimator")
        return self.settings, self.estimator

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The preprocessed float matrix the estimator sees."""
        check_is_fitted(self, "preprocessor_")
        return np.asarray(self.preprocessor_.transform(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator_.predict(self.transform(X)))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator_.predict_proba(self.transform(X)))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator_.decision_function(self.transform(X)))

    def score(self, X: pd.DataFrame, y: Any) -> float:
        """Accuracy for classification, R² for regression."""
        pred = self.predict(X)
        if TaskType(self.task).is_classification:
            return float(accuracy_score(_as_array(y), pred))
        return float(r2_score(_as_array(y), pred))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if TaskType(self.task).is_classification:
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        else:
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _as_array(y: Any) -> np.ndarray:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(f"the target must be one column, got {y.shape[1]}")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        return y.to_numpy(dtype=object if not pd.api.types.is_numeric_dtype(y) else None)
    return np.asarray(y)


def make_model_pipeline(
    settings: PreprocessingSettings, estimator: Any, *, task: TaskType | str, flavor: str
) -> TabularModel:
    """An unfitted :class:`TabularModel` (see its docstring for fit/predict behaviour)."""
    return TabularModel(
        settings=settings,
        estimator=estimator,
        task=check_task(task).value,
        flavor=check_flavor(flavor),
    )
