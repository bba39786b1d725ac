"""Metric choice per task and scoring of a system's saved test predictions.

Every system writes its test predictions; the harness scores them all with this one
module, so no system's own metric code can flatter it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)


@dataclass(frozen=True)
class MetricChoice:
    """The optimised metric of a task (as FLAML and tunelab name it) and the extras."""

    name: str
    greater_is_better: bool
    secondary: tuple[str, ...]


METRICS: dict[str, MetricChoice] = {
    "binary": MetricChoice("roc_auc", True, ("accuracy", "log_loss")),
    "multiclass": MetricChoice("log_loss", False, ("accuracy",)),
    "regression": MetricChoice("rmse", False, ("r2",)),
}


def metric_for(task: str) -> MetricChoice:
    """The primary metric of ``task`` (binary, multiclass or regression)."""
    try:
        return METRICS[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(METRICS)}") from None


def is_better(a: float, b: float, task: str) -> bool:
    """True when score ``a`` is strictly better than ``b`` for the task's primary metric."""
    return a > b if metric_for(task).greater_is_better else a < b


def _proba_matrix(pred: pd.DataFrame, labels: list[str]) -> np.ndarray:
    """Columns of ``pred`` in ``labels`` order; a class the system never predicted gets 0."""
    columns = {str(c): c for c in pred.columns}
    out = np.zeros((len(pred), len(labels)))
    for j, label in enumerate(labels):
        if label in columns:
            out[:, j] = pred[columns[label]].to_numpy(dtype=float)
    sums = out.sum(axis=1, keepdims=True)
    return np.divide(out, sums, out=np.full_like(out, 1.0 / len(labels)), where=sums > 0)


def score_predictions(
    task: str, y_test: pd.Series, pred: pd.DataFrame, train_labels: list[str]
) -> dict[str, float]:
    """All metrics of the task for one system's predictions on the test set.

    ``pred`` holds one probability column per class label (classification) or a
    ``prediction`` column (regression). ``train_labels`` are the class labels seen in
    training, as strings, sorted: the log loss is computed over all of them.
    """
    if len(pred) != len(y_test):
        raise ValueError(f"{len(pred)} predictions for {len(y_test)} test rows")
    if task == "regression":
        if "prediction" not in pred.columns:
            raise ValueError("regression predictions need a 'prediction' column")
        y_hat = pred["prediction"].to_numpy(dtype=float)
        y = y_test.to_numpy(dtype=float)
        if not np.all(np.isfinite(y_hat)):
            raise ValueError("regression predictions contain NaN or infinity")
        return {
            "rmse": float(np.sqrt(mean_squared_error(y, y_hat))),
            "r2": float(r2_score(y, y_hat)),
        }
    labels = sorted(set(train_labels) | set(y_test.astype("str")))
    proba = _proba_matrix(pred, labels)
    y = y_test.astype("str").to_numpy()
    scores = {
        "accuracy": float(accuracy_score(y, np.asarray(labels)[proba.argmax(axis=1)])),
        "log_loss": float(log_loss(y, proba, labels=labels)),
    }
    if task == "binary":
        if len(labels) != 2:
            raise ValueError(f"binary task with {len(labels)} labels: {labels}")
        scores["roc_auc"] = float(roc_auc_score(y == labels[1], proba[:, 1]))
    return scores
