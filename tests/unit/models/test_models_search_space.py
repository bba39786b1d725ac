"""Every configuration sampled from a family's search space builds and fits."""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pytest
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from tunelab.entities import TaskType
from tunelab.models import ModelContext, ModelSpec

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),  # e.g. QDA "variables are collinear"
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]
optuna.logging.set_verbosity(optuna.logging.WARNING)
FAST_ROWS = 200
ROUND_PARAMS = ("n_estimators", "iterations", "max_iter")


def _sampled_configs(
    spec: ModelSpec, ctx: ModelContext, n: int, seed: int
) -> list[dict[str, Any]]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    space = spec.search_space(ctx)
    configs = []
    for _ in range(n):
        trial = study.ask(space)
        configs.append(dict(trial.params))
        study.tell(trial, 0.0)
    return configs


def _fit_sampled(
    spec: ModelSpec, task: TaskType, datasets: dict[Any, Any], n: int, max_rounds: int | None
) -> None:
    data = datasets[task]
    X, y, Xv, yv = (a[:FAST_ROWS] for a in data.split(spec.flavor))
    ctx = data.ctx(n_rows=len(X))
    for params in _sampled_configs(spec, ctx, n, seed=len(spec.name)):
        # Sampled values on top of the cheap start; rounds capped so the fast test stays fast.
        params = {**spec.cheap_params(ctx), **params}
        for rounds in ROUND_PARAMS:
            if rounds in params and max_rounds is not None:
                params[rounds] = min(params[rounds], max_rounds)
        est = spec.fit(spec.make(params, ctx), X, y, Xv, yv)
        pred = est.predict_proba(Xv) if task.is_classification else est.predict(Xv)
        assert np.isfinite(pred).all(), (spec.name, params)


def test_sampled_configs_fit(spec: ModelSpec, task: TaskType, datasets: dict[Any, Any]) -> None:
    _fit_sampled(spec, task, datasets, n=3, max_rounds=40)


@pytest.mark.slow
def test_sampled_configs_fit_exhaustive(
    spec: ModelSpec, task: TaskType, datasets: dict[Any, Any]
) -> None:
    _fit_sampled(spec, task, datasets, n=25, max_rounds=None)


@pytest.mark.parametrize("n_rows", [10, 400, 50_000, 10_000_000])
def test_space_ranges_are_valid_for_any_data_size(
    spec: ModelSpec, task: TaskType, n_rows: int
) -> None:
    ctx = ModelContext(task, n_rows, 30, 0 if task is TaskType.REGRESSION else 3)
    space = spec.search_space(ctx)
    for name, dist in space.items():
        assert isinstance(dist, FloatDistribution | IntDistribution | CategoricalDistribution), (
            name
        )
        if isinstance(dist, FloatDistribution | IntDistribution):
            assert dist.low < dist.high, (spec.name, name, dist)
            if name in ("learning_rate", "reg_alpha", "reg_lambda", "C", "alpha"):
                assert dist.log, f"{spec.name}.{name} should be searched on a log scale"
    defaults = spec.default_params(ctx)
    assert isinstance(defaults, dict)
    assert isinstance(spec.cheap_params(ctx), dict)
    if "n_neighbors" in defaults:
        assert 1 <= defaults["n_neighbors"] <= max(1, n_rows // 4)


def test_ranges_scale_with_rows() -> None:
    from tunelab.models import get_model_spec

    spec = get_model_spec("lightgbm")
    small = spec.search_space(ModelContext(TaskType.BINARY, 200, 5, 2))
    large = spec.search_space(ModelContext(TaskType.BINARY, 1_000_000, 5, 2))
    assert small["min_child_samples"].high < large["min_child_samples"].high
    assert small["num_leaves"].high < large["num_leaves"].high
