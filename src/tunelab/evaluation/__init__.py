"""Metrics, data splits, bootstrap intervals, plot data, permutation importance and reports."""

from tunelab.evaluation._bootstrap import bootstrap_ci
from tunelab.evaluation._curves import (
    calibration_data,
    classification_curves,
    confusion_matrix_data,
    lift_gain_data,
    pr_curve_data,
    regression_plot_data,
    roc_curve_data,
    threshold_curve_data,
)
from tunelab.evaluation._evaluate import evaluate_predictions
from tunelab.evaluation._importance import permutation_importance
from tunelab.evaluation._metrics import (
    Metric,
    default_metric,
    get_metric,
    labels_from_proba,
    list_metrics,
)
from tunelab.evaluation._report import write_report
from tunelab.evaluation._splits import Splits, make_splits, split_summary
from tunelab.evaluation._summary import ModelDetails, RunSummary, jsonable

__all__ = [
    "Metric",
    "ModelDetails",
    "RunSummary",
    "Splits",
    "bootstrap_ci",
    "calibration_data",
    "classification_curves",
    "confusion_matrix_data",
    "default_metric",
    "evaluate_predictions",
    "get_metric",
    "jsonable",
    "labels_from_proba",
    "lift_gain_data",
    "list_metrics",
    "make_splits",
    "permutation_importance",
    "pr_curve_data",
    "regression_plot_data",
    "roc_curve_data",
    "split_summary",
    "threshold_curve_data",
    "write_report",
]
