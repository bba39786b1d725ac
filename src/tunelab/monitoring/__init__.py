"""Monitoring statistics: drift of logged inputs and outputs against a bundle's reference,
performance once labels arrive (with an estimate before), as pure functions on arrays."""

from tunelab.monitoring._drift import (
    DEFAULT_THRESHOLDS,
    METHODS,
    MIN_ROWS,
    NOT_ENOUGH_DATA,
    ColumnRule,
    DriftOptions,
    column_drift,
    drift_report,
)
from tunelab.monitoring._estimate import (
    Calibrator,
    ErrorModel,
    estimate_regression,
    fit_calibrator,
    fit_error_model,
)
from tunelab.monitoring._log import (
    AT,
    ID,
    MODEL,
    PREDICTION,
    decode_batches,
    encode_batch,
    inputs_of,
    probabilities_of,
    window,
)
from tunelab.monitoring._performance import (
    BUCKETS,
    ESTIMATE_NOTE,
    estimate,
    metric_names,
    performance_report,
)

__all__ = [
    "AT",
    "BUCKETS",
    "DEFAULT_THRESHOLDS",
    "ESTIMATE_NOTE",
    "ID",
    "METHODS",
    "MIN_ROWS",
    "MODEL",
    "NOT_ENOUGH_DATA",
    "PREDICTION",
    "Calibrator",
    "ColumnRule",
    "DriftOptions",
    "ErrorModel",
    "column_drift",
    "decode_batches",
    "drift_report",
    "encode_batch",
    "estimate",
    "estimate_regression",
    "fit_calibrator",
    "fit_error_model",
    "inputs_of",
    "metric_names",
    "performance_report",
    "probabilities_of",
    "window",
]
