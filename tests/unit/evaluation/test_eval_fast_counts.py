"""Bootstrap scores from draw counts equal the metrics of the materialised resamples."""

import numpy as np
import pytest

from tunelab.evaluation import bootstrap_ci, get_metric, list_metrics
from tunelab.evaluation._fast_counts import FROM_COUNTS
from tunelab.evaluation._metrics import labels_from_proba


def _draws(n: int, r: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.random.default_rng(seed).integers(0, n, size=(r, n))
    counts = np.stack([np.bincount(i, minlength=n) for i in idx]).astype(float)
    return idx, counts


def _compare(task: str, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None) -> None:
    idx, counts = _draws(len(y), 25, seed=len(y))
    for name in list_metrics(task):
        metric = get_metric(name, task)
        got = FROM_COUNTS[metric.func](y, pred, proba)(counts)
        want = [metric.func(y[i], pred[i], None if proba is None else proba[i]) for i in idx]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_classification_scores_with_many_tied_probabilities(k: int) -> None:
    rng = np.random.default_rng(k)
    n = 90
    y = rng.integers(0, k, size=n)
    raw = np.round(rng.random((n, k)), 1) + 0.05  # rounding makes many tied scores
    proba = raw / raw.sum(axis=1, keepdims=True)
    _compare("binary" if k == 2 else "multiclass", y, labels_from_proba(proba), proba)


def test_regression_scores_with_tied_errors_and_an_even_median() -> None:
    rng = np.random.default_rng(7)
    y = np.round(rng.uniform(0, 4, 80), 0)
    pred = y + np.round(rng.normal(0, 1, 80), 0).clip(-y)  # integer errors: many ties
    _compare("regression", y, pred, None)


def test_rmsle_is_undefined_only_for_resamples_that_draw_a_negative_row() -> None:
    y = np.array([1.0, 2.0, -1.0])
    pred = np.array([1.0, 2.5, 0.5])
    counts = np.array([[2.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    got = FROM_COUNTS[get_metric("rmsle", "regression").func](y, pred, None)(counts)
    assert np.isfinite(got[0])
    assert np.isnan(got[1])


def test_auc_of_a_resample_with_one_class_is_undefined() -> None:
    y = np.array([0, 1])
    proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    counts = np.array([[2.0, 0.0], [1.0, 1.0]])
    got = FROM_COUNTS[get_metric("roc_auc", "binary").func](y, None, proba)(counts)
    assert np.isnan(got[0])
    assert got[1] == 1.0


def test_bootstrap_ci_of_a_large_multiclass_auc_brackets_the_point_estimate() -> None:
    rng = np.random.default_rng(0)
    n = 5_000
    y = rng.integers(0, 4, size=n)
    logits = rng.normal(size=(n, 4)) + 1.5 * np.eye(4)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    metric = get_metric("roc_auc_ovo", "multiclass")
    point = metric.func(y, None, proba)
    low, high = bootstrap_ci(metric, y, proba=proba, n_resamples=200, seed=1)
    assert low < point < high
    assert high - low < 0.05
