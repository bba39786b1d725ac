"""Rows removed at fit time only: outliers and ``drop_rows`` imputation."""

import numpy as np
import pandas as pd

from tunelab.entities import (
    DataError,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    SchemaError,
)
from tunelab.preprocessing._coerce import to_float
from tunelab.preprocessing._settings import used_columns

IQR_FACTOR = 1.5
Z_LIMIT = 3.0


def outlier_mask(values: np.ndarray, rule: OutlierRule) -> np.ndarray:
    """True where a value is an outlier under ``rule``; NaN is never an outlier."""
    present = ~np.isnan(values)
    if rule is OutlierRule.NONE or present.sum() < 3:
        return np.zeros(len(values), dtype=bool)
    observed = values[present]
    with np.errstate(invalid="ignore"):
        if rule is OutlierRule.IQR:
            q1, q3 = np.quantile(observed, [0.25, 0.75])
            spread = q3 - q1
            return present & (
                (values < q1 - IQR_FACTOR * spread) | (values > q3 + IQR_FACTOR * spread)
            )
        std = observed.std()
        if std == 0:
            return np.zeros(len(values), dtype=bool)
        return present & (np.abs(values - observed.mean()) / std > Z_LIMIT)


def rows_to_keep(X: pd.DataFrame, settings: PreprocessingSettings) -> np.ndarray:
    """Boolean mask of the training rows kept after outlier and ``drop_rows`` removal.

    Raises:
        SchemaError: a used column is absent.
        DataError: every row would be dropped (the message names the responsible columns).
    """
    keep = np.ones(len(X), dtype=bool)
    droppers: list[str] = []
    for col in used_columns(settings):
        rule = col.settings.outliers
        drop_missing = col.settings.imputation is Imputation.DROP_ROWS
        if rule is OutlierRule.NONE and not drop_missing:
            continue
        if col.name not in X.columns:
            raise SchemaError(f"input is missing required column {col.name!r}")
        raw = X[col.name]
        droppers.append(col.name)
        if rule is not OutlierRule.NONE:
            keep &= ~outlier_mask(to_float(raw), rule)
        if drop_missing:
            missing = np.isnan(to_float(raw)) if col.kind.value == "numeric" else raw.isna()
            keep &= ~np.asarray(missing, dtype=bool)
    if len(X) and not keep.any():
        raise DataError(
            f"dropping outliers and rows with missing values in {droppers} leaves no "
            "training row; relax these settings"
        )
    return keep
