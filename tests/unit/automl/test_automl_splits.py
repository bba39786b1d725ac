"""Validation schemes and row sampling through the AutoML facade."""

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from automl_frames import classification_frame

from tunelab import AutoML
from tunelab.data import profile_dataset
from tunelab.entities import (
    ConfigError,
    PreprocessingSettings,
    SamplingConfig,
    SplitConfig,
    SplitKind,
    TaskType,
    TrialStatus,
)
from tunelab.preprocessing import recommend
from tunelab.search._fold_fit import fit_fold_model
from tunelab.search._problem import SearchProblem
from tunelab.search._resampling import resample_training_rows


def _fit(frame: pd.DataFrame, **kwargs: Any) -> AutoML:
    settings: dict[str, Any] = {
        "time_budget": None,
        "max_trials": 2,
        "algorithms": ["logistic_regression"],
    }
    settings.update(kwargs)
    return AutoML(**settings).fit(frame, target="label")


def _all_ok(automl: AutoML) -> bool:
    return all(r.status is TrialStatus.OK for r in automl.trials_)


def test_holdout_uses_one_fold_and_a_test_part() -> None:
    split = SplitConfig(kind=SplitKind.HOLDOUT, ratios=(0.6, 0.2, 0.2))
    automl = _fit(classification_frame(200), split=split)
    assert len(automl._folds) == 1
    train, valid = automl._folds[0]
    assert len(train) == pytest.approx(120, abs=2)
    assert len(valid) == pytest.approx(40, abs=2)
    assert len(automl._test_rows) == pytest.approx(40, abs=2)
    assert "holdout" in automl.split_description_
    assert automl.timings_["validation"]["rule"] == "user"
    assert automl.split_rule_ == "set by the user"
    assert _all_ok(automl)


def test_three_fold_cv_validates_every_row_once() -> None:
    automl = _fit(classification_frame(200), split=SplitConfig(folds=3, test_ratio=0.0))
    assert len(automl._folds) == 3
    assert len(automl._test_rows) == 0
    valid = np.concatenate([v for _, v in automl._folds])
    assert sorted(valid) == list(range(200))
    assert _all_ok(automl)


def test_repeated_cv_has_folds_times_repeats() -> None:
    split = SplitConfig(kind=SplitKind.REPEATED_CV, folds=3, repeats=2, test_ratio=0.0)
    automl = _fit(classification_frame(200), split=split)
    assert len(automl._folds) == 6
    assert "2 repeats" in automl.split_description_
    assert _all_ok(automl)


def _skip(settings: PreprocessingSettings, column: str) -> PreprocessingSettings:
    columns = dict(settings.columns)
    columns[column] = dataclasses.replace(columns[column], use=False)
    return dataclasses.replace(settings, columns=columns)


@pytest.mark.parametrize("group_is_feature", [True, False])
def test_group_split_keeps_groups_apart(group_is_feature: bool) -> None:
    frame = classification_frame(240)
    frame["patient"] = [f"p{i // 4:03d}" for i in range(len(frame))]
    settings = recommend(profile_dataset(frame, target="label"), "label")
    if not group_is_feature:
        settings = _skip(settings, "patient")
    split = SplitConfig(kind=SplitKind.GROUP, folds=3, column="patient", test_ratio=0.0)
    automl = _fit(frame, split=split, preprocessing=settings)
    assert ("patient" in automl.feature_columns_) is group_is_feature
    groups = frame["patient"].to_numpy()[automl._fit_rows]
    assert len(automl._folds) == 3
    for train, valid in automl._folds:
        assert not set(groups[train]) & set(groups[valid])
    assert "group" in automl.split_description_
    assert _all_ok(automl)


def test_ratio_subsampling_keeps_class_shares() -> None:
    frame = classification_frame(400, weights=[0.75, 0.25])
    automl = _fit(frame, split=SplitConfig(folds=3, test_ratio=0.0), sampling=SamplingConfig(0.5))
    assert len(automl._fit_rows) == pytest.approx(200, abs=2)
    share = (automl._y[automl._fit_rows] == 1).mean()
    assert share == pytest.approx((automl._y == 1).mean(), abs=0.02)
    assert _all_ok(automl)


def test_size_subsampling_caps_the_rows() -> None:
    automl = _fit(classification_frame(300), sampling=SamplingConfig(size=120))
    assert len(automl._fit_rows) == pytest.approx(120, abs=2)
    validation = automl.timings_["validation"]  # the default rule, without a time budget
    assert validation["rule"] == "auto"
    assert validation["folds"] == 5
    assert automl.split_rule_.startswith("default rule: 5-fold CV: no time budget")


@pytest.mark.parametrize(
    ("sampling", "match"),
    [(SamplingConfig(ratio=1.5), "sampling.ratio"), (SamplingConfig(size=1), "sampling.size")],
)
def test_bad_sampling_is_a_config_error(sampling: SamplingConfig, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _fit(classification_frame(100), sampling=sampling)


def test_balance_to_minority_resamples_every_class_to_its_count() -> None:
    y = np.array([0] * 60 + [1] * 25 + [2] * 15)
    X = pd.DataFrame({"row": np.arange(100)})
    config = SamplingConfig(balance_to="minority")
    Xs, ys = resample_training_rows(X, y, config, TaskType.MULTICLASS, seed=0)
    assert np.bincount(ys).tolist() == [15, 15, 15]
    np.testing.assert_array_equal(y[Xs["row"].to_numpy()], ys)  # rows keep their labels
    _, ys = resample_training_rows(
        X, y, SamplingConfig(balance_to="majority"), TaskType.BINARY, seed=0
    )
    assert np.bincount(ys).tolist() == [60, 60, 60]
    _, ys = resample_training_rows(X, y, SamplingConfig(balance_to="1"), TaskType.BINARY, seed=0)
    assert np.bincount(ys).tolist() == [25, 25, 25]
    with pytest.raises(ConfigError, match="balance_to='7'"):
        resample_training_rows(X, y, SamplingConfig(balance_to="7"), TaskType.BINARY, seed=0)


def test_balancing_through_the_facade() -> None:
    frame = classification_frame(300, weights=[0.85, 0.15])
    automl = _fit(frame, sampling=SamplingConfig(balance_to="minority"))
    assert _all_ok(automl)
    assert set(automl.predict(frame)) == {"no", "yes"}


def test_smote_oversamples_the_training_fold() -> None:
    frame = classification_frame(200, weights=[0.8, 0.2]).drop(columns="color")
    y = (frame.pop("label") == "yes").to_numpy().astype(np.int64)
    settings = recommend(profile_dataset(frame), None)
    problem = SearchProblem(
        task=TaskType.BINARY,
        metric="roc_auc",
        n_classes=2,
        settings=settings,
        sampling=SamplingConfig(smote=True),
    )
    model, _ = fit_fold_model("decision_tree", {}, problem, frame, y, None, None)
    tree = model.estimator_
    tree = getattr(tree, "estimator_", tree)
    majority = int(np.bincount(y).max())
    assert int(tree.tree_.n_node_samples[0]) == 2 * majority  # minority grown to majority


def test_smote_through_the_facade() -> None:
    frame = classification_frame(300, weights=[0.85, 0.15])
    automl = _fit(frame, sampling=SamplingConfig(smote=True), algorithms=["decision_tree"])
    assert _all_ok(automl)
