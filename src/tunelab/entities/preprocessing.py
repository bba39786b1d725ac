"""Per-column and whole-table preprocessing settings (what the user shapes in the UI)."""

from dataclasses import dataclass, field
from enum import StrEnum

from tunelab.entities.columns import ColumnKind


class Imputation(StrEnum):
    NONE = "none"
    DROP_ROWS = "drop_rows"  # at fit time; at prediction time falls back to most frequent/median
    MEAN = "mean"
    MEDIAN = "median"
    MOST_FREQUENT = "most_frequent"
    CONSTANT = "constant"  # "unknown" for categoricals, 0 for numbers unless fill_value is set
    ZERO = "zero"
    MINIMUM = "minimum"
    KNN = "knn"
    ITERATIVE = "iterative"


class OutlierRule(StrEnum):
    NONE = "none"
    IQR = "iqr"  # rows outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR] dropped at fit time only
    ZSCORE = "zscore"  # rows with |z| > 3 dropped at fit time only


class Transformation(StrEnum):
    NONE = "none"
    LOG = "log"
    SQRT = "sqrt"
    SQUARE = "square"
    BOX_COX = "box_cox"
    YEO_JOHNSON = "yeo_johnson"


class Encoding(StrEnum):
    AUTO = "auto"  # one-hot for low cardinality, target encoding for high
    ONEHOT = "onehot"
    ORDINAL = "ordinal"
    TARGET = "target"


class Scaling(StrEnum):
    NONE = "none"
    STANDARD = "standard"
    MINMAX = "minmax"
    NORMALIZE = "normalize"
    ROBUST = "robust"


class FeatureEngineering(StrEnum):
    SELECT_PERCENTILE = "select_percentile"
    SELECT_KBEST = "select_kbest"
    SELECT_FWE = "select_fwe"
    BORUTA = "boruta"
    FAST_ICA = "fast_ica"
    FEATURE_AGGLOMERATION = "feature_agglomeration"
    POLYNOMIAL = "polynomial"
    PCA = "pca"
    NYSTROEM = "nystroem"


@dataclass(frozen=True)
class ColumnSettings:
    """How one column is used and prepared."""

    use: bool = True
    kind: ColumnKind = ColumnKind.NUMERIC
    imputation: Imputation = Imputation.NONE
    fill_value: str | float | None = None
    outliers: OutlierRule = OutlierRule.NONE
    transformation: Transformation = Transformation.NONE
    encoding: Encoding = Encoding.AUTO


@dataclass(frozen=True)
class PreprocessingSettings:
    """Everything needed to build one preprocessing pipeline for a table."""

    columns: dict[str, ColumnSettings] = field(default_factory=dict)
    encoding: Encoding = Encoding.AUTO
    onehot_min_frequency: int | float | None = None
    onehot_max_categories: int = 30  # above this AUTO switches to target encoding
    scaling: Scaling = Scaling.NONE
    variance_threshold: float | None = None
    feature_engineering: tuple[FeatureEngineering, ...] = ()
    expand_datetimes: bool = True

    @property
    def feature_columns(self) -> list[str]:
        return [name for name, col in self.columns.items() if col.use]
