"""Boosting families stop early on validation data and report the best number of rounds."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab.entities import TaskType
from tunelab.models import ModelContext, get_model_spec

BOOSTERS = ["lightgbm", "xgboost", "catboost", "hist_gradient_boosting"]
CAP = 2000


def _noisy_binary(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 6)).astype(np.float32)
    X[::9, 1] = np.nan
    # Weak signal under heavy noise: the validation loss bottoms out after a few rounds.
    y = (0.5 * np.nan_to_num(X[:, 0]) + rng.normal(size=600) > 0).astype(np.int64)
    return X, y


@pytest.mark.parametrize("name", BOOSTERS)
def test_stops_early_on_noisy_task(name: str) -> None:
    spec = get_model_spec(name)
    X, y = _noisy_binary()
    ctx = ModelContext(TaskType.BINARY, 400, X.shape[1], 2)
    assert spec.rounds_param is not None
    est = spec.make({spec.rounds_param: CAP, "learning_rate": 0.1}, ctx)
    est = spec.fit(est, X[:400], y[:400], X[400:], y[400:])
    best = spec.best_iteration(est)
    assert best is not None
    assert 1 <= best < CAP // 4  # patience is at most 200 rounds, so it stopped far below CAP

    refit = spec.refit_params({"learning_rate": 0.1}, est)
    assert refit[spec.rounds_param] == best
    refitted = spec.fit(spec.make(refit, ctx), X, y)  # all rows, no validation data
    assert spec.best_iteration(refitted) is None
    assert refitted.predict_proba(X).shape == (len(X), 2)


def test_catboost_keeps_only_the_best_trees() -> None:
    spec = get_model_spec("catboost")
    X, y = _noisy_binary(seed=1)
    ctx = ModelContext(TaskType.BINARY, 400, X.shape[1], 2)
    est = spec.make({"iterations": CAP, "learning_rate": 0.1}, ctx)
    est = spec.fit(est, X[:400], y[:400], X[400:], y[400:])
    # CatBoost picks some settings from ``iterations`` (leaf_estimation_iterations), so a refit
    # with fewer rounds is not bit-identical; the early-stopped model itself is shrunk instead.
    assert est.tree_count_ == spec.best_iteration(est)


@pytest.mark.parametrize("name", ["lightgbm", "xgboost"])
def test_predictions_use_the_best_iteration(name: str) -> None:
    """The early-stopped model predicts like a model trained for exactly ``best`` rounds."""
    spec = get_model_spec(name)
    X, y = _noisy_binary(seed=1)
    ctx = ModelContext(TaskType.BINARY, 400, X.shape[1], 2)
    assert spec.rounds_param is not None
    stopped = spec.fit(
        spec.make({spec.rounds_param: CAP, "learning_rate": 0.1}, ctx),
        X[:400], y[:400], X[400:], y[400:],
    )  # fmt: skip
    best = spec.best_iteration(stopped)
    exact = spec.fit(
        spec.make(spec.refit_params({"learning_rate": 0.1}, stopped), ctx), X[:400], y[:400]
    )
    np.testing.assert_allclose(
        stopped.predict_proba(X), exact.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    assert best is not None


def test_multiclass_and_regression_stop_early() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 5)).astype(np.float32)
    noise = rng.normal(size=500)
    targets = {
        TaskType.MULTICLASS: np.digitize(0.3 * X[:, 0] + noise, [-0.5, 0.5]).astype(np.int64),
        TaskType.REGRESSION: 0.3 * X[:, 0] + noise,
    }
    for task, y in targets.items():
        ctx = ModelContext(task, 400, 5, 3 if task.is_classification else 0)
        for name in ("lightgbm", "xgboost", "catboost"):
            spec = get_model_spec(name)
            assert spec.rounds_param is not None
            est = spec.make({spec.rounds_param: CAP, "learning_rate": 0.2}, ctx)
            est = spec.fit(est, X[:400], y[:400], X[400:], y[400:])
            best = spec.best_iteration(est)
            assert best is not None
            assert best < CAP // 4, (name, task)


def test_families_without_early_stopping_report_none() -> None:
    X, y = _noisy_binary()
    spec = get_model_spec("random_forest")
    ctx = ModelContext(TaskType.BINARY, 400, X.shape[1], 2)
    est = spec.fit(spec.make(spec.cheap_params(ctx), ctx), X[:400], y[:400], X[400:], y[400:])
    assert spec.best_iteration(est) is None
    assert spec.refit_params({"n_estimators": 50}, est) == {"n_estimators": 50}
