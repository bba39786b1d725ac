"""Every family builds, fits and predicts on small binary, multiclass and regression data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor

from tunelab.entities import TaskType
from tunelab.models import MODEL_SPECS, ModelSpec

pytestmark = [
    pytest.mark.filterwarnings("error::FutureWarning"),
    pytest.mark.filterwarnings("error::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


def test_cheap_fit_predicts_better_than_trivial(
    spec: ModelSpec, task: TaskType, fitted_cheap: dict[Any, Any]
) -> None:
    fitted = fitted_cheap[spec.name, task]
    est, data = fitted.estimator, fitted.data
    _, _, X_valid, y_valid = data.split(spec.flavor)
    if task.is_classification:
        assert is_classifier(est)
        np.testing.assert_array_equal(est.classes_, np.arange(data.n_classes))
        proba = est.predict_proba(X_valid)
        assert proba.shape == (len(X_valid), data.n_classes)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
        assert ((proba >= 0) & (proba <= 1)).all()
        accuracy = (proba.argmax(axis=1) == y_valid).mean()
        majority = np.bincount(y_valid).max() / len(y_valid)
        assert accuracy > majority + 0.05  # every family learns something real
    else:
        assert is_regressor(est)
        pred = est.predict(X_valid)
        assert pred.shape == (len(X_valid),)
        r2 = 1 - ((pred - y_valid) ** 2).mean() / y_valid.var()
        assert r2 > 0.3  # targets are offset and scaled: catches broken target handling


def test_default_params_fit(spec: ModelSpec, task: TaskType, datasets: dict[Any, Any]) -> None:
    """Defaults (capped boosters with early stopping) fit on a tiny sample."""
    data = datasets[task]
    X, y, Xv, yv = (a[:150] for a in data.split(spec.flavor))
    ctx = data.ctx(n_rows=len(X))
    params = spec.default_params(ctx)
    for rounds in ("n_estimators", "iterations", "max_iter"):  # keep the test quick
        if rounds in params:
            params[rounds] = min(params[rounds], 50)
    est = spec.fit(spec.make(params, ctx), X, y, Xv, yv)
    assert len(est.predict(Xv)) == len(Xv)


def test_portfolio_configs_build(
    spec: ModelSpec, task: TaskType, datasets: dict[Any, Any]
) -> None:
    """Portfolio entries are overrides of the defaults that the estimator accepts."""
    ctx = datasets[task].ctx()
    known = set(spec.search_space(ctx)) | set(spec.default_params(ctx))
    for config in spec.portfolio(ctx):
        assert set(config) <= known, f"{spec.name}: portfolio sets unknown params"
        spec.make(config, ctx).get_params()
    if spec.name in {"lightgbm", "catboost", "xgboost", "extra_trees", "random_forest"}:
        assert 3 <= len(spec.portfolio(ctx)) <= 6
        assert len({tuple(sorted(c.items())) for c in spec.portfolio(ctx)}) == len(
            spec.portfolio(ctx)
        )


TREE_SPEC_TASKS = [
    pytest.param(s, t, id=f"{s.name}-{t.value}")
    for s in MODEL_SPECS
    if s.flavor == "tree"
    for t in TaskType
    if t in s.tasks
]


@pytest.mark.parametrize(("tree_spec", "tree_task"), TREE_SPEC_TASKS)
def test_tree_flavor_accepts_nan(
    tree_spec: ModelSpec, tree_task: TaskType, datasets: dict[Any, Any]
) -> None:
    data = datasets[tree_task]
    X, y, Xv, _ = data.split("tree")
    assert np.isnan(X).any()
    assert np.isnan(Xv).any()
    est = tree_spec.make(tree_spec.cheap_params(data.ctx()), data.ctx())
    est = tree_spec.fit(est, X, y)
    assert np.isfinite(est.predict(Xv)).all()


def test_wrong_shape_valid_pair_is_rejected(datasets: dict[Any, Any]) -> None:
    from tunelab.entities import ConfigError
    from tunelab.models import get_model_spec

    data = datasets[TaskType.BINARY]
    spec = get_model_spec("lightgbm")
    X, y, Xv, _ = data.split("tree")
    with pytest.raises(ConfigError, match="X_valid and y_valid"):
        spec.fit(spec.make(spec.cheap_params(data.ctx()), data.ctx()), X, y, Xv, None)
