"""Metric values against scikit-learn, registry errors, and bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from tunelab.entities import ConfigError, DataError, TaskType
from tunelab.evaluation import (
    bootstrap_ci,
    default_metric,
    get_metric,
    labels_from_proba,
    list_metrics,
)
from tunelab.evaluation._fast_counts import FROM_COUNTS


def _binary(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
    return y, np.column_stack([1 - p1, p1])


def _multi(n: int = 300, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba


def test_binary_values_match_sklearn() -> None:
    y, proba = _binary()
    pred = (proba[:, 1] >= 0.5).astype(int)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "mcc": skm.matthews_corrcoef(y, pred),
        "roc_auc": skm.roc_auc_score(y, proba[:, 1]),
        "average_precision": skm.average_precision_score(y, proba[:, 1]),
        "log_loss": skm.log_loss(y, proba),
        "f1_macro": skm.f1_score(y, pred, average="macro"),
    }
    for name, value in expected.items():
        assert get_metric(name, "binary").score(y, proba=proba) == pytest.approx(value), name


def test_multiclass_values_match_sklearn() -> None:
    y, proba = _multi()
    pred = proba.argmax(axis=1)
    m = TaskType.MULTICLASS
    assert get_metric("accuracy", m).score(y, proba=proba) == pytest.approx(
        skm.accuracy_score(y, pred)
    )
    assert get_metric("f1_weighted", m).score(y, proba=proba) == pytest.approx(
        skm.f1_score(y, pred, average="weighted")
    )
    assert get_metric("roc_auc", m).score(y, proba=proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr")
    )
    assert get_metric("roc_auc_ovo", m).score(y, proba=proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovo")
    )
    assert get_metric("log_loss", m).score(y, proba=proba) == pytest.approx(skm.log_loss(y, proba))


def test_labels_accepted_directly_and_argmax() -> None:
    y = np.array([0, 1, 2, 2, 1])
    proba = np.eye(3)[[0, 1, 1, 2, 1]]
    assert labels_from_proba(proba).tolist() == [0, 1, 1, 2, 1]
    acc = get_metric("accuracy", "multiclass")
    assert acc.score(y, proba=proba) == pytest.approx(0.8)
    assert acc.score(y, y_pred=[0, 1, 2, 2, 1]) == 1.0
    with pytest.raises(ConfigError, match="probabilities"):
        get_metric("roc_auc", "binary").score(y, y_pred=y)


def test_regression_values_match_sklearn() -> None:
    rng = np.random.default_rng(1)
    y = rng.uniform(1, 10, 100)
    pred = y + rng.normal(0, 1, 100)
    pairs = {
        "r2": skm.r2_score,
        "mse": skm.mean_squared_error,
        "rmse": skm.root_mean_squared_error,
        "mae": skm.mean_absolute_error,
        "median_ae": skm.median_absolute_error,
        "mape": skm.mean_absolute_percentage_error,
    }
    for name, fn in pairs.items():
        assert get_metric(name, "regression").score(y, pred) == pytest.approx(fn(y, pred))


def test_rmsle_rejects_negatives() -> None:
    rmsle = get_metric("rmsle", "regression")
    assert rmsle.score([1.0, 2.0], [1.0, 2.0]) == 0.0
    with pytest.raises(DataError, match=r"rmsle.*negative"):
        rmsle.score([-1.0, 2.0], [1.0, 2.0])


def test_one_class_present_gives_nan() -> None:
    proba = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert np.isnan(get_metric("roc_auc", "binary").score([1, 1], proba=proba))
    # log_loss still works with a class absent, thanks to labels=
    assert np.isfinite(get_metric("log_loss", "binary").score([1, 1], proba=proba))
    y, proba3 = np.array([0, 0, 1, 1]), np.full((4, 3), 1 / 3)
    assert np.isfinite(get_metric("roc_auc", "multiclass").score(y, proba=proba3))


def test_registry_errors_and_defaults() -> None:
    with pytest.raises(ConfigError, match=r"'rmse'.*accuracy"):
        get_metric("rmse", "binary")
    with pytest.raises(ConfigError, match="task"):
        get_metric("rmse", "ranking")
    assert default_metric("binary").name == "roc_auc"
    assert default_metric("multiclass").name == "accuracy"
    assert default_metric("regression").name == "rmse"
    assert "roc_auc_ovo" in list_metrics("multiclass")
    assert "roc_auc_ovo" not in list_metrics("binary")
    rmse = get_metric("RMSE", "regression")
    assert rmse.signed(2.0) == -2.0
    assert get_metric("r2", "regression").signed(0.5) == 0.5


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_scores_from_draw_counts_match_single_scores(task: str) -> None:
    rng = np.random.default_rng(3)
    if task == "regression":
        y = rng.uniform(0, 5, 60)
        pred, proba = y + rng.normal(0, 1, 60).clip(-y), None
    else:
        y, proba = _binary(60, 3) if task == "binary" else _multi(60, 4, 3)
        pred = labels_from_proba(proba)
    idx = rng.integers(0, len(y), size=(7, len(y)))
    counts = np.stack([np.bincount(i, minlength=len(y)) for i in idx]).astype(float)
    for name in list_metrics(task):
        metric = get_metric(name, task)
        fast = FROM_COUNTS[metric.func](y, pred, proba)
        got = fast(counts)
        want = [metric.func(y[i], pred[i], None if proba is None else proba[i]) for i in idx]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    ("task", "name"), [("binary", "roc_auc"), ("binary", "f1"), ("regression", "rmse")]
)
def test_bootstrap_ci_contains_point_estimate(task: str, name: str) -> None:
    metric = get_metric(name, task)
    if task == "regression":
        rng = np.random.default_rng(0)
        y = rng.normal(size=200)
        pred: np.ndarray = y + rng.normal(0, 0.5, 200)
    else:
        y, pred = _binary(200)
    point = metric.score(y, pred) if task == "regression" else metric.score(y, proba=pred)
    low, high = bootstrap_ci(metric, y, pred, n_resamples=300, seed=1)
    assert low < point < high
    assert (low, high) == bootstrap_ci(metric, y, pred, n_resamples=300, seed=1)
    narrow = bootstrap_ci(metric, y, pred, n_resamples=300, seed=1, alpha=0.5)
    assert low <= narrow[0] <= narrow[1] <= high


def test_bootstrap_skips_degenerate_and_custom_metric_path() -> None:
    metric = get_metric("roc_auc", "binary")
    y = np.array([0] * 29 + [1])
    proba = np.linspace(0, 1, 30)
    low, high = bootstrap_ci(metric, y, proba=proba, n_resamples=200, seed=0)
    assert np.isfinite(low)
    assert high <= 1.0
    assert np.isnan(bootstrap_ci(metric, np.zeros(5, int), proba=np.full(5, 0.3))[0])
    # string labels use the one-resample-at-a-time path
    acc = get_metric("accuracy", "binary")
    labels = np.array(["a", "b"] * 20)
    low, high = bootstrap_ci(acc, labels, y_pred=labels, n_resamples=50)
    assert low == high == 1.0
