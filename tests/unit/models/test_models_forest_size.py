"""Forests are sized to a memory cap by raising ``min_samples_leaf`` (then fewer trees)."""

import pickle

import numpy as np
import pytest

from tunelab.entities import TaskType
from tunelab.models import ModelContext, get_model_spec
from tunelab.models import _sk_trees as trees


def _ctx(n_rows: int, task: TaskType = TaskType.REGRESSION, n_classes: int = 0) -> ModelContext:
    return ModelContext(task=task, n_rows=n_rows, n_features=4, n_classes=n_classes)


def test_small_forest_is_left_as_asked() -> None:
    params = {"n_estimators": 150, "min_samples_leaf": 1}
    assert trees.forest_size_guard(params, _ctx(300)) == params


def test_large_forest_gets_larger_leaves_then_fewer_trees() -> None:
    leafier = trees.forest_size_guard({"n_estimators": 150, "min_samples_leaf": 1}, _ctx(3_000))
    assert leafier["n_estimators"] == 150
    assert leafier["min_samples_leaf"] > 1
    fewer = trees.forest_size_guard({"n_estimators": 500, "min_samples_leaf": 1}, _ctx(20_000))
    assert fewer["min_samples_leaf"] == 10 * trees.MAX_LEAF_RAISE  # floor 10 x the raise
    assert trees.MIN_TREES <= fewer["n_estimators"] < 500


def test_classifier_keeps_its_leaves_and_grows_fewer_trees() -> None:
    ctx = _ctx(20_000, TaskType.MULTICLASS, n_classes=5)
    guarded = trees.forest_size_guard({"n_estimators": 500, "min_samples_leaf": 1}, ctx)
    assert guarded["min_samples_leaf"] == 10  # the row floor only (n_rows // 2,000)
    assert trees.MIN_TREES <= guarded["n_estimators"] < 500
    small = _ctx(500, TaskType.BINARY, n_classes=2)
    assert trees.forest_size_guard({"n_estimators": 150}, small)["n_estimators"] == 150


@pytest.mark.parametrize("family", ["extra_trees", "random_forest"])
def test_fitted_forest_stays_under_the_cap(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trees, "FOREST_MB", 1.0)
    monkeypatch.setattr(trees, "FOREST_KB_PER_ROW", 0.0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=600)
    spec, ctx = get_model_spec(family), _ctx(600)
    params = {"n_estimators": 200, "min_samples_leaf": 1, "max_features": 1.0}
    guarded = spec.make(params, ctx).fit(X, y)
    assert len(pickle.dumps(guarded)) <= 2**20
    monkeypatch.setattr(trees, "FOREST_MB", 1e9)
    free = spec.make(params, ctx).fit(X, y)  # the cap is what made it small
    assert len(pickle.dumps(free)) > 2**20
