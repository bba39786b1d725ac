"""Plot data (plain JSON-ready dicts and lists) for classification and regression results.

Every curve holds at most ``MAX_POINTS`` points. Classification inputs are ``y_true`` encoded
``0..k-1`` and ``proba`` of shape ``(n, k)``; ``classes`` gives the display labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

MAX_POINTS = 200


def _round(values: np.ndarray, digits: int = 6) -> list[float | None]:
    return [float(round(v, digits)) if np.isfinite(v) else None for v in np.asarray(values, float)]


def _downsample_index(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def _labels(classes: Sequence[Any] | None, k: int) -> list[str]:
    return [str(c) for c in classes] if classes is not None else [str(i) for i in range(k)]


def _one_roc(y: np.ndarray, score: np.ndarray) -> dict[str, Any] | None:
    if np.unique(y).size < 2:
        return None
    fpr, tpr, thr = skm.roc_curve(y, score)
    keep = _downsample_index(len(fpr))
    return {
        "fpr": _round(fpr[keep]),
        "tpr": _round(tpr[keep]),
        "thresholds": _round(np.minimum(thr[keep], 1.0)),
        "auc": float(skm.auc(fpr, tpr)),
    }


def _one_pr(y: np.ndarray, score: np.ndarray) -> dict[str, Any] | None:
    if not np.any(y == 1):
        return None
    precision, recall, _ = skm.precision_recall_curve(y, score)
    keep = _downsample_index(len(precision))
    return {
        "precision": _round(precision[keep]),
        "recall": _round(recall[keep]),
        "average_precision": float(skm.average_precision_score(y, score)),
    }


def _per_class(
    fn: Any, y_true: np.ndarray, proba: np.ndarray, classes: Sequence[Any] | None
) -> dict[str, Any]:
    k = proba.shape[1]
    if k == 2:
        return {"binary": fn((y_true == 1).astype(int), proba[:, 1]), "per_class": {}}
    labels = _labels(classes, k)
    per = {labels[i]: fn((y_true == i).astype(int), proba[:, i]) for i in range(k)}
    return {"binary": None, "per_class": {key: v for key, v in per.items() if v is not None}}


def roc_curve_data(
    y_true: Any, proba: Any, classes: Sequence[Any] | None = None
) -> dict[str, Any]:
    """ROC: ``binary`` curve (positive class = column 1) or one-vs-rest ``per_class`` curves."""
    return _per_class(_one_roc, np.asarray(y_true), np.asarray(proba, float), classes)


def pr_curve_data(y_true: Any, proba: Any, classes: Sequence[Any] | None = None) -> dict[str, Any]:
    """Precision-recall: ``binary`` curve or one-vs-rest ``per_class`` curves."""
    return _per_class(_one_pr, np.asarray(y_true), np.asarray(proba, float), classes)


def confusion_matrix_data(
    y_true: Any, y_pred: Any, classes: Sequence[Any] | None = None, n_classes: int | None = None
) -> dict[str, Any]:
    """Counts (rows: true class, columns: predicted) and row-normalised rates."""
    yt, yp = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    k = n_classes or (len(classes) if classes is not None else int(max(yt.max(), yp.max())) + 1)
    matrix = skm.confusion_matrix(yt, yp, labels=list(range(k)))
    totals = matrix.sum(axis=1, keepdims=True)
    rates = matrix / np.where(totals == 0, 1, totals)
    return {
        "labels": _labels(classes, k),
        "matrix": matrix.astype(int).tolist(),
        "normalized": [_round(row, 4) for row in rates],
    }


def threshold_curve_data(y_true: Any, proba: Any, n_thresholds: int = 101) -> dict[str, Any]:
    """Binary precision, recall and F1 of ``proba[:, 1] >= t`` for thresholds ``t`` in [0, 1]."""
    y = np.asarray(y_true) == 1
    score = np.asarray(proba, float)
    score = score[:, -1] if score.ndim == 2 else score
    thresholds = np.linspace(0.0, 1.0, min(n_thresholds, MAX_POINTS))
    pred = score[None, :] >= thresholds[:, None]
    tp = (pred & y).sum(axis=1).astype(float)
    n_pred = pred.sum(axis=1).astype(float)
    precision = np.divide(tp, n_pred, out=np.zeros_like(tp), where=n_pred > 0)
    recall = tp / max(int(y.sum()), 1)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    best = int(np.argmax(f1))
    return {
        "thresholds": _round(thresholds, 4),
        "precision": _round(precision),
        "recall": _round(recall),
        "f1": _round(f1),
        "best_threshold": float(thresholds[best]),
        "best_f1": float(f1[best]),
    }


def calibration_data(y_true: Any, proba: Any, n_bins: int = 10) -> dict[str, Any]:
    """Reliability bins (uniform in [0, 1]).

    Binary: predicted probability of class 1 vs the fraction of positives. Multiclass: the
    top-label confidence vs the fraction of rows where the top label is right.
    """
    yt = np.asarray(y_true).astype(int)
    pr = np.asarray(proba, float)
    if pr.shape[1] == 2:
        conf, hit, kind = pr[:, 1], (yt == 1).astype(float), "positive_class"
    else:
        conf, hit, kind = pr.max(axis=1), (pr.argmax(axis=1) == yt).astype(float), "top_label"
    which = np.clip((conf * n_bins).astype(int), 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    sums_conf = np.bincount(which, weights=conf, minlength=n_bins)
    sums_hit = np.bincount(which, weights=hit, minlength=n_bins)
    bins = [
        {
            "low": i / n_bins,
            "high": (i + 1) / n_bins,
            "count": int(counts[i]),
            "mean_predicted": float(sums_conf[i] / counts[i]),
            "fraction_positive": float(sums_hit[i] / counts[i]),
        }
        for i in range(n_bins)
        if counts[i] > 0
    ]
    ece = float(sum(abs(b["mean_predicted"] - b["fraction_positive"]) * b["count"] for b in bins))
    return {"kind": kind, "bins": bins, "ece": ece / max(len(yt), 1)}


def lift_gain_data(y_true: Any, proba: Any, n_points: int = 100) -> dict[str, Any]:
    """Cumulative gain and lift of class 1 when rows are sorted by decreasing score (binary)."""
    y = (np.asarray(y_true) == 1).astype(float)
    score = np.asarray(proba, float)
    score = score[:, -1] if score.ndim == 2 else score
    order = np.argsort(-score, kind="stable")
    cum = np.cumsum(y[order])
    n, total = len(y), max(float(y.sum()), 1.0)
    percents = np.linspace(1, 100, min(n_points, MAX_POINTS))
    upto = np.maximum((percents / 100 * n).round().astype(int), 1)
    gain = cum[upto - 1] / total
    lift = gain / (upto / n)
    return {"percent": _round(percents, 2), "gain": _round(gain), "lift": _round(lift)}


def regression_plot_data(y_true: Any, y_pred: Any, seed: int = 0) -> dict[str, Any]:
    """Prediction-error and residual scatter (random sample of rows) plus a residual histogram."""
    yt, yp = np.asarray(y_true, float), np.asarray(y_pred, float)
    rng = np.random.default_rng(seed)
    keep = np.arange(len(yt))
    if len(yt) > MAX_POINTS:
        keep = np.sort(rng.choice(len(yt), MAX_POINTS, replace=False))
    residual = yt - yp
    lo, hi = (float(residual.min()), float(residual.max())) if len(yt) else (0.0, 0.0)
    if hi - lo <= 1e-9 * max(1.0, abs(lo)):
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(residual, bins=min(30, max(len(yt), 1)), range=(lo, hi))
    return {
        "prediction_error": {"actual": _round(yt[keep]), "predicted": _round(yp[keep])},
        "residuals": {"predicted": _round(yp[keep]), "residual": _round(residual[keep])},
        "residual_histogram": {"edges": _round(edges), "counts": counts.astype(int).tolist()},
    }


def classification_curves(
    y_true: Any, proba: Any, classes: Sequence[Any] | None = None
) -> dict[str, Any]:
    """Every classification plot's data from encoded ``y_true`` and ``proba`` (n, k)."""
    yt = np.asarray(y_true).astype(int)
    pr = np.asarray(proba, float)
    if pr.ndim == 1:
        pr = np.column_stack([1.0 - pr, pr])
    k = pr.shape[1]
    y_pred = (pr[:, 1] >= 0.5).astype(int) if k == 2 else pr.argmax(axis=1)
    out: dict[str, Any] = {
        "roc": roc_curve_data(yt, pr, classes),
        "pr": pr_curve_data(yt, pr, classes),
        "confusion_matrix": confusion_matrix_data(yt, y_pred, classes, n_classes=k),
        "calibration": calibration_data(yt, pr),
    }
    if k == 2:
        out["threshold"] = threshold_curve_data(yt, pr)
        out["lift_gain"] = lift_gain_data(yt, pr)
    return out
