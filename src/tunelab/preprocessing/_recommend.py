"""Default per-column settings derived from a dataset profile."""

import math

import numpy as np

from tunelab.entities import (
    ColumnKind,
    ColumnProfile,
    ColumnSettings,
    DatasetProfile,
    Encoding,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    Transformation,
)

SKEWED = 1.0  # |skewness| above which the median replaces the mean for imputation
STRONGLY_SKEWED = 2.0  # |skewness| above which a transformation is recommended
MIN_LEVELS_TO_TRANSFORM = 10  # fewer distinct values look like codes: left untouched
HIGH_MISSING_RATIO = 0.1  # categoricals missing more often get an explicit "unknown"
MIN_ROWS_FOR_MIN_FREQUENCY = 1000
ONEHOT_MIN_FREQUENCY = 5


def histogram_skewness(column: ColumnProfile) -> float | None:
    """Skewness estimated from a numeric profile's histogram (bin centres, counts)."""
    edges, counts = column.histogram
    if len(edges) < 3 or len(counts) != len(edges) - 1:
        return None
    try:
        bounds = np.asarray(edges, dtype=float)
        weights = np.asarray(counts, dtype=float)
    except (TypeError, ValueError):
        return None
    if weights.sum() <= 0 or not np.isfinite(bounds).all():
        return None
    centres = (bounds[:-1] + bounds[1:]) / 2
    mean = np.average(centres, weights=weights)
    var = np.average((centres - mean) ** 2, weights=weights)
    if var <= 0:
        return None
    return float(np.average((centres - mean) ** 3, weights=weights) / var**1.5)


def _is_unusable(column: ColumnProfile) -> bool:
    return column.missing_ratio >= 1.0 or column.n_unique <= 1 or column.kind is ColumnKind.ID


def _numeric(column: ColumnProfile) -> ColumnSettings:
    skew = histogram_skewness(column)
    skewed = skew is not None and abs(skew) > SKEWED
    imputation = Imputation.NONE
    if column.n_missing > 0:
        imputation = Imputation.MEDIAN if skewed else Imputation.MEAN
    transformation = Transformation.NONE
    if (
        skew is not None
        and abs(skew) > STRONGLY_SKEWED
        and column.n_unique >= MIN_LEVELS_TO_TRANSFORM
    ):
        low = column.min
        positive = low is not None and _finite(low) and float(low) >= 0
        transformation = (
            Transformation.LOG if positive and skew > 0 else Transformation.YEO_JOHNSON
        )
    return ColumnSettings(
        kind=ColumnKind.NUMERIC,
        imputation=imputation,
        outliers=OutlierRule.NONE,
        transformation=transformation,
    )


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _column(column: ColumnProfile) -> ColumnSettings:
    kind = ColumnKind(column.kind)
    if kind is ColumnKind.NUMERIC:
        return _numeric(column)
    imputation = Imputation.NONE
    fill: str | None = None
    if column.n_missing > 0:
        if kind is ColumnKind.CATEGORICAL:
            if column.missing_ratio > HIGH_MISSING_RATIO:
                imputation, fill = Imputation.CONSTANT, "unknown"
            else:
                imputation = Imputation.MOST_FREQUENT
        elif kind is ColumnKind.BOOLEAN:
            imputation = Imputation.MOST_FREQUENT
        elif kind is ColumnKind.DATETIME:
            imputation = Imputation.MEDIAN
    return ColumnSettings(kind=kind, imputation=imputation, fill_value=fill)


def recommend(profile: DatasetProfile, target: str | None = None) -> PreprocessingSettings:
    """Recommended preprocessing for a profiled table (the "Recommend" button).

    Not used: the target, id-like columns, all-missing and constant columns. Numbers with
    missing values are imputed with the mean, or the median when skewed (|skew| > 1);
    strongly skewed numbers (|skew| > 2, >= 10 distinct values) get ``log`` when
    non-negative and right-skewed, ``yeo_johnson`` otherwise. Categoricals with missing
    values get the most frequent value, or the constant "unknown" above 10 % missing.
    Outlier removal stays off: it discards real training rows and cannot be applied at
    prediction time. Encoding stays ``auto`` (the model flavor decides).
    """
    target = target if target is not None else profile.target
    columns: dict[str, ColumnSettings] = {}
    for column in profile.columns:
        settings = _column(column)
        if column.name == target or _is_unusable(column):
            settings = ColumnSettings(
                use=False,
                kind=settings.kind,
                imputation=settings.imputation,
                fill_value=settings.fill_value,
                transformation=settings.transformation,
            )
        columns[column.name] = settings
    min_frequency = ONEHOT_MIN_FREQUENCY if profile.n_rows >= MIN_ROWS_FOR_MIN_FREQUENCY else None
    return PreprocessingSettings(
        columns=columns,
        encoding=Encoding.AUTO,
        onehot_min_frequency=min_frequency,
        expand_datetimes=True,
    )
