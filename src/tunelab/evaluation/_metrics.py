"""Metric registry: named scores for binary, multiclass and regression tasks.

Classification scores take ``y_true`` encoded as ints ``0..k-1`` and either a probability
matrix ``proba`` of shape ``(n, k)`` (columns in class order) or predicted labels ``y_pred``.
Label metrics derive labels from ``proba`` by argmax (binary: ``proba[:, 1] >= 0.5``).
A score that is undefined on the given rows (e.g. ROC AUC when only one class is present)
is ``nan``; callers decide how to treat it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from tunelab.entities import ConfigError, DataError, TaskType

ScoreFn = Callable[[np.ndarray, np.ndarray | None, np.ndarray | None], float]

_BIN = frozenset({TaskType.BINARY})
_MULTI = frozenset({TaskType.MULTICLASS})
_CLF = frozenset({TaskType.BINARY, TaskType.MULTICLASS})
_REG = frozenset({TaskType.REGRESSION})


@dataclass(frozen=True)
class Metric:
    """A named score.

    Attributes:
        name: registry name (``"roc_auc"``, ``"rmse"``...).
        greater_is_better: direction of the natural value.
        needs_proba: True when the score needs probabilities, not labels.
        tasks: tasks this metric applies to.
        func: module-level ``func(y_true, y_pred, proba) -> float`` on prepared arrays.
    """

    name: str
    greater_is_better: bool
    needs_proba: bool
    tasks: frozenset[TaskType]
    func: ScoreFn

    def score(
        self,
        y_true: object,
        y_pred: object | None = None,
        proba: object | None = None,
    ) -> float:
        """Natural-direction score of predictions (``proba`` or ``y_pred``) against ``y_true``."""
        yt = np.asarray(y_true)
        pr = None if proba is None else _as_proba(np.asarray(proba, dtype=float))
        yp = None if y_pred is None else np.asarray(y_pred)
        if TaskType.REGRESSION in self.tasks:
            if yp is None:
                yp = pr[:, 0] if pr is not None and pr.ndim == 2 else pr
            if yp is None:
                raise ConfigError(f"metric {self.name!r} needs y_pred (regression predictions)")
            return float(self.func(yt.astype(float), yp.astype(float), None))
        if self.needs_proba and pr is None:
            raise ConfigError(f"metric {self.name!r} needs class probabilities (proba=...)")
        if not self.needs_proba and yp is None:
            if pr is None:
                raise ConfigError(f"metric {self.name!r} needs y_pred or proba")
            yp = labels_from_proba(pr)
        if len(yt) == 0:
            return float("nan")
        return float(self.func(yt, yp, pr))

    def signed(self, value: float) -> float:
        """``value`` turned higher-is-better (negated when lower is better)."""
        return float(value) if self.greater_is_better else -float(value)

    @property
    def worst(self) -> float:
        """The worst possible natural value (used for failed trials)."""
        return float("-inf") if self.greater_is_better else float("inf")


def _as_proba(proba: np.ndarray) -> np.ndarray:
    """A 1-d binary probability vector becomes an ``(n, 2)`` matrix."""
    if proba.ndim == 1:
        return np.column_stack([1.0 - proba, proba])
    return proba


def labels_from_proba(proba: np.ndarray) -> np.ndarray:
    """Encoded labels from a probability matrix (binary threshold 0.5, otherwise argmax)."""
    proba = _as_proba(np.asarray(proba, dtype=float))
    if proba.shape[1] == 2:
        return (proba[:, 1] >= 0.5).astype(int)
    return np.argmax(proba, axis=1).astype(int)


def _normalised(proba: np.ndarray) -> np.ndarray:
    clipped = np.clip(proba, 0.0, None)
    sums = clipped.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return clipped / sums


# --- classification: labels -------------------------------------------------------------


def _accuracy(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.accuracy_score(yt, yp))


def _balanced_accuracy(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(skm.balanced_accuracy_score(yt, yp))


def _mcc(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.matthews_corrcoef(yt, yp))


def _prf(kind: str, average: str) -> ScoreFn:
    fn = {"f1": skm.f1_score, "precision": skm.precision_score, "recall": skm.recall_score}[kind]

    def score(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
        if average == "binary":
            return float(fn(yt, yp, average="binary", pos_label=1, zero_division=0))
        return float(fn(yt, yp, average=average, zero_division=0))

    score.__name__ = f"_{kind}_{average}"
    return score


_f1_binary = _prf("f1", "binary")
_precision_binary = _prf("precision", "binary")
_recall_binary = _prf("recall", "binary")
_f1_macro, _f1_micro, _f1_weighted = (_prf("f1", a) for a in ("macro", "micro", "weighted"))
_precision_macro, _precision_micro, _precision_weighted = (
    _prf("precision", a) for a in ("macro", "micro", "weighted")
)
_recall_macro, _recall_micro, _recall_weighted = (
    _prf("recall", a) for a in ("macro", "micro", "weighted")
)

# --- classification: probabilities ------------------------------------------------------


def _binary_auc(y: np.ndarray, score: np.ndarray) -> float:
    if np.unique(y).size < 2:
        return float("nan")
    return float(skm.roc_auc_score(y, score))


def _roc_auc_binary(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    assert pr is not None
    return _binary_auc(yt, pr[:, -1])


def _roc_auc_ovr(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    """Macro one-vs-rest AUC over the classes that have positives and negatives here."""
    assert pr is not None
    aucs = [_binary_auc((yt == k).astype(int), pr[:, k]) for k in range(pr.shape[1])]
    valid = [a for a in aucs if not np.isnan(a)]
    return float(np.mean(valid)) if valid else float("nan")


def _roc_auc_ovo(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    """Macro one-vs-one AUC (Hand & Till) over pairs of classes both present here."""
    assert pr is not None
    present = np.unique(yt)
    aucs = []
    for i, a in enumerate(present):
        for b in present[i + 1 :]:
            mask = (yt == a) | (yt == b)
            ya = (yt[mask] == a).astype(int)
            aucs.append((_binary_auc(ya, pr[mask, a]) + _binary_auc(1 - ya, pr[mask, b])) / 2.0)
    return float(np.mean(aucs)) if aucs else float("nan")


def _average_precision_binary(
    yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None
) -> float:
    assert pr is not None
    if not np.any(yt == 1):
        return float("nan")
    return float(skm.average_precision_score(yt, pr[:, -1]))


def _average_precision_macro(
    yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None
) -> float:
    """Macro one-vs-rest average precision over the classes present here."""
    assert pr is not None
    values = [
        float(skm.average_precision_score((yt == k).astype(int), pr[:, k]))
        for k in range(pr.shape[1])
        if np.any(yt == k)
    ]
    return float(np.mean(values)) if values else float("nan")


def _log_loss(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    assert pr is not None
    labels = list(range(pr.shape[1]))
    return float(skm.log_loss(yt, _normalised(pr), labels=labels))


# --- regression -------------------------------------------------------------------------


def _r2(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    if len(yt) < 2:
        return float("nan")
    return float(skm.r2_score(yt, yp))


def _mse(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.mean_squared_error(yt, yp))


def _rmse(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.root_mean_squared_error(yt, yp))


def _mae(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.mean_absolute_error(yt, yp))


def _median_ae(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.median_absolute_error(yt, yp))


def _mape(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    return float(skm.mean_absolute_percentage_error(yt, yp))


def _rmsle(yt: np.ndarray, yp: np.ndarray | None, pr: np.ndarray | None) -> float:
    assert yp is not None
    for label, values in (("target", yt), ("prediction", yp)):
        if np.any(values < 0):
            raise DataError(
                f"metric 'rmsle' needs non-negative values; found a negative {label} "
                f"(min {float(np.min(values)):.4g}). Use 'rmse' or 'mae' instead."
            )
    return float(skm.root_mean_squared_log_error(yt, yp))


_REGISTRY: tuple[Metric, ...] = (
    Metric("accuracy", True, False, _CLF, _accuracy),
    Metric("balanced_accuracy", True, False, _CLF, _balanced_accuracy),
    Metric("f1", True, False, _BIN, _f1_binary),
    Metric("precision", True, False, _BIN, _precision_binary),
    Metric("recall", True, False, _BIN, _recall_binary),
    Metric("f1", True, False, _MULTI, _f1_macro),
    Metric("precision", True, False, _MULTI, _precision_macro),
    Metric("recall", True, False, _MULTI, _recall_macro),
    Metric("f1_macro", True, False, _CLF, _f1_macro),
    Metric("f1_micro", True, False, _CLF, _f1_micro),
    Metric("f1_weighted", True, False, _CLF, _f1_weighted),
    Metric("precision_macro", True, False, _CLF, _precision_macro),
    Metric("precision_micro", True, False, _CLF, _precision_micro),
    Metric("precision_weighted", True, False, _CLF, _precision_weighted),
    Metric("recall_macro", True, False, _CLF, _recall_macro),
    Metric("recall_micro", True, False, _CLF, _recall_micro),
    Metric("recall_weighted", True, False, _CLF, _recall_weighted),
    Metric("mcc", True, False, _CLF, _mcc),
    Metric("roc_auc", True, True, _BIN, _roc_auc_binary),
    Metric("roc_auc", True, True, _MULTI, _roc_auc_ovr),
    Metric("roc_auc_ovr", True, True, _MULTI, _roc_auc_ovr),
    Metric("roc_auc_ovo", True, True, _MULTI, _roc_auc_ovo),
    Metric("average_precision", True, True, _BIN, _average_precision_binary),
    Metric("average_precision", True, True, _MULTI, _average_precision_macro),
    Metric("log_loss", False, True, _CLF, _log_loss),
    Metric("r2", True, False, _REG, _r2),
    Metric("mse", False, False, _REG, _mse),
    Metric("rmse", False, False, _REG, _rmse),
    Metric("mae", False, False, _REG, _mae),
    Metric("median_ae", False, False, _REG, _median_ae),
    Metric("mape", False, False, _REG, _mape),
    Metric("rmsle", False, False, _REG, _rmsle),
)

_DEFAULTS = {
    TaskType.BINARY: "roc_auc",
    TaskType.MULTICLASS: "accuracy",
    TaskType.REGRESSION: "rmse",
}


def list_metrics(task: TaskType | str) -> list[str]:
    """Names of the metrics available for ``task``, in registry order."""
    task = _task(task)
    return [m.name for m in _REGISTRY if task in m.tasks]


def get_metric(name: str, task: TaskType | str) -> Metric:
    """The metric ``name`` for ``task``; ConfigError listing valid names when unknown."""
    task = _task(task)
    key = name.strip().lower()
    for metric in _REGISTRY:
        if metric.name == key and task in metric.tasks:
            return metric
    raise ConfigError(
        f"unknown metric {name!r} for task {task.value!r}; "
        f"choose one of: {', '.join(list_metrics(task))}"
    )


def default_metric(task: TaskType | str) -> Metric:
    """roc_auc (binary), accuracy (multiclass) or rmse (regression)."""
    task = _task(task)
    return get_metric(_DEFAULTS[task], task)


def _task(task: TaskType | str) -> TaskType:
    try:
        return TaskType(task)
    except ValueError:
        valid = ", ".join(t.value for t in TaskType)
        raise ConfigError(f"unknown task {task!r}; choose one of: {valid}") from None
