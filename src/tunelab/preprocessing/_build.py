"""Build the preprocessing pipeline (DataFrame in, dense float matrix out) from settings."""

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, RobustScaler, StandardScaler

from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    FeatureEngineering,
    Imputation,
    PreprocessingSettings,
    Scaling,
    TaskType,
    Transformation,
)
from tunelab.preprocessing._coerce import CATEGORY_KINDS, FrameCoercer
from tunelab.preprocessing._encode import CategoricalEncoder
from tunelab.preprocessing._features import DatetimeExpander, TextFeatures
from tunelab.preprocessing._numeric import ModelImputer, NumericTransform, column_minimum
from tunelab.preprocessing._project import CappedPolynomial, Projection
from tunelab.preprocessing._select import BorutaSelector, UnivariateSelector, VarianceFilter
from tunelab.preprocessing._settings import Column, check_flavor, check_task, used_columns

_MODEL_IMPUTERS = (Imputation.KNN, Imputation.ITERATIVE)
_TARGET_TYPES = {
    TaskType.BINARY: "binary",
    TaskType.MULTICLASS: "multiclass",
    TaskType.REGRESSION: "continuous",
}


def build_preprocessor(
    settings: PreprocessingSettings, *, task: TaskType | str, flavor: str
) -> Pipeline:
    """One unfitted sklearn Pipeline turning a raw DataFrame into a dense float matrix.

    Steps: ``coerce`` (select and type the used columns), ``columns`` (a ColumnTransformer
    with one branch per group of columns sharing the same settings), then, when set,
    ``finite`` (median imputation before whole-table steps in the tree flavor),
    ``variance``, the feature-engineering steps in the order given, and ``scale``.
    ``get_feature_names_out()`` works on the fitted result. See docs/preprocessing.md.

    The ``"embed"`` flavor is ``"linear"`` except that categories become integer codes (for
    models that learn an embedding per category, see :func:`categorical_code_columns`); with
    any whole-table step (variance filter, feature engineering, scaling) it is ``"linear"``.

    Raises:
        ConfigError: unknown flavor/task, no used column, or a setting that does not fit
            the kind of its column (named in the message).
    """
    task = check_task(task)
    flavor = check_flavor(flavor)
    if flavor == "embed" and whole_table_steps(settings):
        flavor = "linear"  # integer codes would not survive whole-table steps
    columns = used_columns(settings)
    coercer = FrameCoercer(
        columns=tuple(c.name for c in columns), kinds=tuple(c.kind.value for c in columns)
    )
    branches = _branches(columns, settings, task, flavor)
    steps: list[tuple[str, Any]] = [
        ("coerce", coercer),
        ("columns", ColumnTransformer(branches, remainder="drop", sparse_threshold=0.0)),
    ]
    engineering = [FeatureEngineering(f) for f in settings.feature_engineering]
    scaling = Scaling(settings.scaling)
    if flavor == "tree" and (engineering or scaling is Scaling.NORMALIZE):
        steps.append(("finite", SimpleImputer(strategy="median", keep_empty_features=True)))
    if settings.variance_threshold is not None:
        steps.append(("variance", VarianceFilter(threshold=settings.variance_threshold)))
    for i, step in enumerate(engineering):
        steps.append((f"{step.value}_{i}", _engineering_step(step, task)))
    if scaling is not Scaling.NONE:
        steps.append(("scale", _scaler(scaling)))
    return Pipeline(steps)


def whole_table_steps(settings: PreprocessingSettings) -> bool:
    """True when steps after the column branches are set (they mix or rescale columns)."""
    return bool(
        settings.feature_engineering
        or Scaling(settings.scaling) is not Scaling.NONE
        or settings.variance_threshold is not None
    )


def _branches(
    columns: list[Column], settings: PreprocessingSettings, task: TaskType, flavor: str
) -> list[tuple[str, Any, list[str]]]:
    groups: dict[tuple[Any, ...], list[Column]] = {}
    for col in columns:
        groups.setdefault(_group_key(col, settings, flavor), []).append(col)
    numeric_names = [c.name for c in columns if c.kind is ColumnKind.NUMERIC]
    branches: list[tuple[str, Any, list[str]]] = []
    for i, (key, members) in enumerate(groups.items()):
        names = [c.name for c in members]
        kind = members[0].kind
        first = members[0].settings
        if kind is ColumnKind.NUMERIC:
            steps = _numeric_steps(first, key[1], len(names), settings, flavor)
            if key[1] in _MODEL_IMPUTERS:
                names = names + [n for n in numeric_names if n not in names]
        elif kind is ColumnKind.BOOLEAN:
            steps = _impute_steps(key[1], first.fill_value, kind)
        elif kind is ColumnKind.DATETIME:
            steps = [("expand", DatetimeExpander(expand=settings.expand_datetimes))]
            steps += _impute_steps(key[1], first.fill_value, kind)
            steps += _default_scaler(settings, flavor)
        elif kind is ColumnKind.TEXT:
            steps = [("text", TextFeatures()), *_default_scaler(settings, flavor)]
        else:
            encoder = CategoricalEncoder(
                encoding=key[3],
                flavor=flavor,
                max_onehot=settings.onehot_max_categories,
                min_frequency=settings.onehot_min_frequency,
                target_type=_TARGET_TYPES[task],
            )
            steps = [*_impute_steps(key[1], first.fill_value, kind), ("encode", encoder)]
        branch: Any = Pipeline(steps) if steps else "passthrough"
        branches.append((f"{kind.value}{i}", branch, names))
    if flavor != "tree":
        flagged = [
            c.name
            for c in columns
            if c.kind in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN)
            and c.settings.imputation is not Imputation.DROP_ROWS
        ]
        if flagged:
            indicator = MissingIndicator(features="missing-only", error_on_new=False)
            branches.append(("missing", indicator, flagged))
    return branches


def _effective_imputation(col: Column, flavor: str) -> Imputation:
    imputation = col.settings.imputation
    if imputation is Imputation.DROP_ROWS:  # rows dropped at fit; prediction falls back
        return Imputation.MOST_FREQUENT if col.kind in CATEGORY_KINDS else Imputation.MEDIAN
    if imputation is Imputation.NONE and flavor != "tree":
        if col.kind is ColumnKind.BOOLEAN:
            return Imputation.MOST_FREQUENT
        if col.kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
            return Imputation.MEDIAN
    return imputation


def _group_key(col: Column, settings: PreprocessingSettings, flavor: str) -> tuple[Any, ...]:
    encoding = col.settings.encoding
    if encoding.value == "auto":
        encoding = settings.encoding
    fill = col.settings.fill_value
    return (
        col.kind,
        _effective_imputation(col, flavor),
        None if fill is None else str(fill),
        encoding.value if col.kind in CATEGORY_KINDS else None,
        col.settings.transformation,
    )


def _numeric_steps(
    first: ColumnSettings,
    imputation: Imputation,
    n_targets: int,
    settings: PreprocessingSettings,
    flavor: str,
) -> list[tuple[str, Any]]:
    if imputation in _MODEL_IMPUTERS:
        steps: list[tuple[str, Any]] = [
            ("impute", ModelImputer(method=imputation.value, n_targets=n_targets))
        ]
    else:
        steps = _impute_steps(imputation, first.fill_value, ColumnKind.NUMERIC)
    if first.transformation is not Transformation.NONE:
        steps.append(("transform", NumericTransform(method=first.transformation.value)))
    return steps + _default_scaler(settings, flavor)


def _impute_steps(
    imputation: Imputation, fill_value: str | float | None, kind: ColumnKind
) -> list[tuple[str, Any]]:
    if imputation is Imputation.NONE:
        return []
    if imputation in _MODEL_IMPUTERS:
        return [("impute", ModelImputer(method=imputation.value))]
    categorical = kind in CATEGORY_KINDS
    if imputation in (Imputation.MEAN, Imputation.MEDIAN, Imputation.MOST_FREQUENT):
        strategy: Any = imputation.value
        fill: Any = None
    elif imputation is Imputation.MINIMUM:
        strategy, fill = column_minimum, None
    elif imputation is Imputation.ZERO:
        strategy, fill = "constant", 0.0
    else:  # CONSTANT
        strategy = "constant"
        fill = fill_value if fill_value is not None else ("unknown" if categorical else 0.0)
        fill = str(fill) if categorical else float(fill)
    return [
        ("impute", SimpleImputer(strategy=strategy, fill_value=fill, keep_empty_features=True))
    ]


def _default_scaler(settings: PreprocessingSettings, flavor: str) -> list[tuple[str, Any]]:
    """The linear and embed flavors standardize numbers unless a whole-table scaling is set."""
    if flavor != "tree" and Scaling(settings.scaling) is Scaling.NONE:
        return [("scale", StandardScaler())]
    return []


def _scaler(scaling: Scaling) -> Any:
    return {
        Scaling.STANDARD: StandardScaler,
        Scaling.MINMAX: MinMaxScaler,
        Scaling.NORMALIZE: Normalizer,
        Scaling.ROBUST: RobustScaler,
    }[scaling]()


def _engineering_step(step: FeatureEngineering, task: TaskType) -> Any:
    if step is FeatureEngineering.SELECT_PERCENTILE:
        return UnivariateSelector(mode="percentile", task=task.value)
    if step is FeatureEngineering.SELECT_KBEST:
        return UnivariateSelector(mode="kbest", task=task.value)
    if step is FeatureEngineering.SELECT_FWE:
        return UnivariateSelector(mode="fwe", task=task.value)
    if step is FeatureEngineering.BORUTA:
        return BorutaSelector(task=task.value)
    if step is FeatureEngineering.POLYNOMIAL:
        return CappedPolynomial()
    if step is FeatureEngineering.NYSTROEM:
        return Projection(method="nystroem")
    return Projection(method=step.value)  # pca, fast_ica, feature_agglomeration
