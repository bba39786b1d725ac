"""Registry lookups, contexts, and the default family list for a budget."""

from __future__ import annotations

import pytest

from tunelab.entities import ConfigError, TaskType
from tunelab.models import (
    MODEL_SPECS,
    ModelContext,
    available_model_names,
    families_for_budget,
    get_model_spec,
    list_model_specs,
)
from tunelab.preprocessing._settings import FLAVORS

CLASSIFIERS = {
    "logistic_regression", "bernoulli_nb", "multinomial_nb", "gaussian_nb", "adaboost",
    "decision_tree", "extra_trees", "random_forest", "gradient_boosting",
    "hist_gradient_boosting", "knn", "lda", "qda", "linear_svc", "svc", "nu_svc", "mlp",
    "passive_aggressive", "sgd", "lightgbm", "xgboost", "catboost", "torch_mlp",
}  # fmt: skip
REGRESSORS = {
    "linear_regression", "ridge", "lasso", "elastic_net", "bayesian_ridge", "huber", "svr",
    "knn", "decision_tree", "extra_trees", "random_forest", "adaboost", "gradient_boosting",
    "hist_gradient_boosting", "mlp", "sgd", "lightgbm", "xgboost", "catboost", "torch_mlp",
}  # fmt: skip


def test_every_requested_family_is_registered() -> None:
    assert set(available_model_names(TaskType.BINARY)) == CLASSIFIERS
    assert set(available_model_names(TaskType.MULTICLASS)) == CLASSIFIERS
    assert set(available_model_names(TaskType.REGRESSION)) == REGRESSORS
    assert len({s.name for s in MODEL_SPECS}) == len(MODEL_SPECS)


def test_spec_fields_are_consistent() -> None:
    lightgbm = get_model_spec("lightgbm")
    assert lightgbm.cost == 1.0
    for spec in MODEL_SPECS:
        assert spec.flavor in FLAVORS, spec.name
        assert spec.cost > 0, spec.name
        assert spec.label, spec.name
        assert spec.max_rows is None or spec.max_rows >= 1_000
    assert get_model_spec("svc").max_rows == 10_000
    assert get_model_spec("qda").max_rows is None
    assert get_model_spec("svc").cost > get_model_spec("lightgbm").cost
    assert get_model_spec("gaussian_nb").cost < get_model_spec("lightgbm").cost
    # scikit-learn's GradientBoosting/AdaBoost reject NaN, so they need imputed input.
    assert get_model_spec("gradient_boosting").flavor == "linear"
    assert get_model_spec("random_forest").flavor == "tree"


def test_unknown_algorithm_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="'nope'") as info:
        get_model_spec("nope")
    assert "lightgbm" in str(info.value)
    assert "logistic_regression" in str(info.value)


def test_list_model_specs_keeps_strong_families_first() -> None:
    names = [s.name for s in list_model_specs(TaskType.BINARY)]
    assert names[:3] == ["lightgbm", "catboost", "xgboost"]
    assert "ridge" not in names


def test_make_rejects_an_unsupported_task() -> None:
    ctx = ModelContext(TaskType.REGRESSION, 100, 4, 0)
    with pytest.raises(ConfigError, match=r"logistic_regression.*regression"):
        get_model_spec("logistic_regression").make({}, ctx)


def test_make_dispatches_on_task() -> None:
    spec = get_model_spec("lightgbm")
    clf = spec.make({}, ModelContext(TaskType.BINARY, 100, 4, 2, n_jobs=2, random_state=7))
    reg = spec.make({}, ModelContext(TaskType.REGRESSION, 100, 4, 0))
    assert type(clf).__name__ == "LGBMClassifier"
    assert type(reg).__name__ == "LGBMRegressor"
    assert clf.get_params()["n_jobs"] == 2
    assert clf.get_params()["random_state"] == 7
    assert clf.get_params()["verbose"] == -1
    cat = get_model_spec("catboost").make({}, ModelContext(TaskType.MULTICLASS, 100, 4, 3))
    assert cat.get_params()["loss_function"] == "MultiClass"
    assert cat.get_params()["allow_writing_files"] is False


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_rows": 0}, "n_rows"),
        ({"n_features": 0}, "n_features"),
        ({"n_classes": 1}, "n_classes"),
        ({"n_jobs": 0}, "n_jobs"),
    ],
)
def test_context_validation(kwargs: dict[str, int], field: str) -> None:
    base = {"task": TaskType.BINARY, "n_rows": 10, "n_features": 2, "n_classes": 2}
    with pytest.raises(ConfigError, match=field):
        ModelContext(**{**base, **kwargs})  # type: ignore[arg-type]


def test_budget_small_data_includes_slow_families() -> None:
    names = families_for_budget(TaskType.BINARY, 1_000, 10, time_budget=300)
    assert names[:3] == ["lightgbm", "catboost", "xgboost"]
    assert "svc" in names
    assert "logistic_regression" in names


def test_budget_skips_families_above_their_max_rows() -> None:
    names = families_for_budget(TaskType.BINARY, 100_000, 20, time_budget=3600)
    assert "svc" not in names
    assert "knn" not in names  # max_rows 50 000
    for name in names:
        max_rows = get_model_spec(name).max_rows
        assert max_rows is None or max_rows >= 100_000


def test_budget_tight_keeps_cheap_families_and_baselines() -> None:
    tight = families_for_budget(TaskType.REGRESSION, 200_000, 50, time_budget=30)
    roomy = families_for_budget(TaskType.REGRESSION, 200_000, 50, time_budget=None)
    assert "lightgbm" in tight
    assert "ridge" in tight
    assert "catboost" not in tight
    assert len(tight) < len(roomy)
    assert set(tight) <= set(roomy)
    assert all(REGRESSORS.issuperset([n]) for n in roomy)


def test_budget_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="time_budget"):
        families_for_budget(TaskType.BINARY, 100, 3, time_budget=0)
