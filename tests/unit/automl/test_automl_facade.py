"""AutoML end to end: binary, multiclass, regression; predictions, leaderboard, evaluate."""

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame, regression_frame

from tunelab import AutoML
from tunelab.automl._leaderboard import COLUMNS
from tunelab.entities import ConfigError, DataError, TaskType, TrialRecord, TrialStatus
from tunelab.search import _trial as trial_module

REAL_FIT = trial_module.fit_fold_model


def _automl(**kwargs: Any) -> AutoML:
    settings: dict[str, Any] = {"time_budget": None, "max_trials": 4, "algorithms": CHEAP}
    settings.update(kwargs)
    return AutoML(**settings)


@pytest.fixture(scope="module")
def binary() -> tuple[AutoML, pd.DataFrame]:
    frame = classification_frame()
    return _automl().fit(frame, target="label"), frame


@pytest.fixture(scope="module")
def multiclass() -> tuple[AutoML, pd.DataFrame]:
    frame = classification_frame(labels=("cat", "dog", "emu"), seed=1)
    return _automl().fit(frame, target="label"), frame


@pytest.fixture(scope="module")
def regression() -> tuple[AutoML, pd.DataFrame]:
    frame = regression_frame()
    return _automl(algorithms=["ridge", "decision_tree"]).fit(frame, target="price"), frame


def test_binary_predicts_original_labels(binary: tuple[AutoML, pd.DataFrame]) -> None:
    automl, frame = binary
    assert automl.task_ is TaskType.BINARY
    assert automl.metric_ == "roc_auc"
    assert list(automl.classes_) == ["no", "yes"]
    pred = automl.predict(frame.head(50))
    assert pred.shape == (50,)
    assert set(pred) <= {"no", "yes"}
    assert (automl.predict(frame) == frame["label"].to_numpy()).mean() > 0.75


def test_binary_proba_columns_are_labels_and_rows_sum_to_one(
    binary: tuple[AutoML, pd.DataFrame],
) -> None:
    automl, frame = binary
    sample = frame.iloc[10:40]
    proba = automl.predict_proba(sample)
    assert list(proba.columns) == ["no", "yes"]
    assert list(proba.index) == list(sample.index)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        automl.predict(sample), proba.columns.to_numpy()[proba.to_numpy().argmax(axis=1)]
    )


def test_prediction_ignores_the_target_and_extra_columns(
    binary: tuple[AutoML, pd.DataFrame],
) -> None:
    automl, frame = binary
    features = frame.drop(columns="label").assign(extra=1.0)
    np.testing.assert_array_equal(automl.predict(features), automl.predict(frame))


def test_missing_input_column_is_named(binary: tuple[AutoML, pd.DataFrame]) -> None:
    automl, frame = binary
    with pytest.raises(ConfigError, match="'f2'"):
        automl.predict(frame.drop(columns="f2"))


def test_multiclass_with_string_labels(multiclass: tuple[AutoML, pd.DataFrame]) -> None:
    automl, frame = multiclass
    assert automl.task_ is TaskType.MULTICLASS
    assert list(automl.classes_) == ["cat", "dog", "emu"]
    proba = automl.predict_proba(frame)
    assert list(proba.columns) == ["cat", "dog", "emu"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = automl.predict(frame)
    assert set(pred) <= {"cat", "dog", "emu"}
    assert (pred == frame["label"].to_numpy()).mean() > 0.6


def test_regression_end_to_end(regression: tuple[AutoML, pd.DataFrame]) -> None:
    automl, frame = regression
    assert automl.task_ is TaskType.REGRESSION
    assert automl.metric_ == "rmse"
    pred = automl.predict(frame)
    assert pred.dtype == np.float64
    assert pred.shape == (len(frame),)
    assert np.corrcoef(pred, frame["price"])[0, 1] > 0.9
    with pytest.raises(ConfigError, match="only available for classification"):
        automl.predict_proba(frame)
    board = automl.leaderboard()
    ok = board[(board["status"] == "ok") & (board["trial"] >= 0)]
    assert list(ok["score"]) == sorted(ok["score"])  # rmse: lower is better, best first


def test_leaderboard_columns_and_order(binary: tuple[AutoML, pd.DataFrame]) -> None:
    automl, _ = binary
    board = automl.leaderboard()
    assert list(board.columns) == COLUMNS
    assert list(board.columns) == [
        "rank",
        "name",
        "trial",
        "family",
        "source",
        "status",
        "score",
        "score_std",
        "fit_time",
        "predict_time",
        "params",
        "preprocessing",
        "reason",
        "host",
        "node_id",
    ]
    assert list(board["rank"]) == list(range(1, len(board) + 1))
    trials = board[board["trial"] >= 0]
    assert sorted(trials["trial"]) == [r.number for r in automl.trials_] == [0, 1, 2, 3]
    assert set(trials["family"]) <= set(CHEAP)
    assert list(trials["score"]) == sorted(trials["score"], reverse=True)  # roc_auc: higher
    if automl.final_.kind == "ensemble":
        assert board.iloc[0]["name"] == "ensemble"
        assert board.iloc[0]["source"] == "ensemble"


def test_failed_trials_are_listed_with_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    def fit(family: str, *args: Any, **kwargs: Any) -> Any:
        if family == "decision_tree":
            raise RuntimeError("the tree refused to grow")
        return REAL_FIT(family, *args, **kwargs)

    monkeypatch.setattr(trial_module, "fit_fold_model", fit)
    automl = _automl().fit(classification_frame(200), target="label")
    board = automl.leaderboard()
    failed = board[board["family"] == "decision_tree"]
    assert len(failed) >= 1
    assert set(failed["status"]) == {"failed"}
    assert all("the tree refused to grow" in r for r in failed["reason"])
    assert failed["score"].isna().all()
    statuses = list(board["status"])
    assert statuses == sorted(statuses, key=lambda s: s != "ok")  # failed rank after ok


def test_every_trial_failing_falls_back_to_the_constant_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("nothing fits")

    monkeypatch.setattr(trial_module, "fit_fold_model", fail)
    frame = classification_frame(200)
    automl = _automl(max_trials=2).fit(frame, target="label")
    assert automl.final_.kind == "constant"
    assert {r.status for r in automl.trials_} == {TrialStatus.FAILED}
    proba = automl.predict_proba(frame)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_evaluate_returns_metrics_with_intervals(binary: tuple[AutoML, pd.DataFrame]) -> None:
    automl, frame = binary
    result = automl.evaluate(frame.head(150))
    metrics = result["metrics"]
    assert {"accuracy", "roc_auc", "log_loss"} <= set(metrics)
    auc = metrics["roc_auc"]
    assert auc["ci_low"] <= auc["value"] <= auc["ci_high"]
    assert auc["greater_is_better"] is True
    assert 0.0 <= metrics["accuracy"]["value"] <= 1.0


def test_evaluate_rejects_labels_the_model_never_saw(
    binary: tuple[AutoML, pd.DataFrame],
) -> None:
    automl, frame = binary
    relabelled = frame.head(20).assign(label=["maybe"] * 20)
    with pytest.raises(DataError, match=r"'label'.*never saw: maybe"):
        automl.evaluate(relabelled)


def test_ensemble_none_keeps_the_best_single_trial() -> None:
    automl = _automl(ensemble="none", refit_final=False).fit(
        classification_frame(200), target="label"
    )
    assert automl.final_.kind == "single"
    board = automl.leaderboard()
    assert (board["trial"] >= 0).all()
    assert board.iloc[0]["trial"] == automl.final_.best_number
    assert automl.final_.best_single is automl.model_
    assert automl.final_.refitted == ()
    # the best configuration is also refitted as one model on every training row
    assert automl.best_model_ is automl.refit_model_
    assert automl.refit_note_.startswith(f"refitted trial {automl.final_.best_number}")


def test_refit_final_replaces_each_member_bag_by_its_refit() -> None:
    frame = classification_frame(300, labels=("a", "b", "c"), seed=3)
    bags = _automl(refit_final=False).fit(frame, target="label")
    refit = _automl().fit(frame, target="label")  # same seed and trial budget: same search
    assert refit.final_.members == bags.final_.members
    assert refit.final_.score == bags.final_.score  # the out-of-fold score of the bags
    assert set(refit.final_.refitted) == set(refit.final_.members)
    n_folds = len(refit.split_rows_["folds"])
    members = refit.model_.members_ if refit.final_.kind == "ensemble" else [refit.model_]
    assert all(len(m.estimators_) == 1 for m in members)  # one model each, not k
    bag_members = bags.model_.members_ if bags.final_.kind == "ensemble" else [bags.model_]
    assert all(len(m.estimators_) == n_folds for m in bag_members)
    X = frame.drop(columns=["label"])
    proba = refit.predict_proba(X)
    assert list(proba.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    agree = (proba.to_numpy().argmax(1) == bags.predict_proba(X).to_numpy().argmax(1)).mean()
    assert agree > 0.85


def test_refit_model_predicts_like_its_bag_and_can_be_disabled() -> None:
    frame = classification_frame(300)
    automl = _automl(ensemble="none").fit(frame, target="label")
    X = frame.drop(columns=["label"])
    refit = automl.refit_model_.predict_proba(X)
    bag = automl.model_.predict_proba(X)
    assert refit.shape == bag.shape
    # the same configuration on more rows: the two agree on most labels
    assert (refit.argmax(axis=1) == bag.argmax(axis=1)).mean() > 0.85
    off = _automl(ensemble="none", refit_best=False).fit(frame, target="label")
    assert off.refit_model_ is None
    assert off.refit_note_ == "refit_best=False"
    assert off.best_model_ is off.final_.best_single


def test_stacking_builds_a_meta_model() -> None:
    frame = classification_frame(200, labels=("a", "b", "c"), seed=2)
    automl = _automl(ensemble="stacking").fit(frame, target="label")
    assert automl.final_.kind == "stacked"
    assert automl.leaderboard().iloc[0]["name"] == "stacked"
    proba = automl.predict_proba(frame)
    assert list(proba.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_callbacks_see_every_trial() -> None:
    seen: list[TrialRecord] = []

    class Recorder:
        def on_trial_end(self, record: TrialRecord) -> None:
            seen.append(record)

    automl = _automl(max_trials=3, callbacks=[Recorder()]).fit(
        classification_frame(200), target="label"
    )
    assert seen == automl.trials_


def test_stop_from_another_thread_keeps_the_best_model() -> None:
    first_trial_done = threading.Event()

    class Signal:
        def on_trial_end(self, record: TrialRecord) -> None:
            first_trial_done.set()

    frame = classification_frame(200)
    automl = AutoML(time_budget=300, algorithms=CHEAP, callbacks=[Signal()])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            automl.fit(frame, target="label")
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    assert first_trial_done.wait(timeout=120)
    automl.stop()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert not errors
    assert automl.stop_reason_ == "stopped by request"
    assert any(r.status is TrialStatus.OK for r in automl.trials_)
    assert set(automl.predict(frame)) <= {"no", "yes"}


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"ensemble": "bagging"}, "ensemble: choose .*got 'bagging'"),
        ({"sampler": "annealing"}, "sampler: choose .*got 'annealing'"),
        ({"max_trials": 0}, "max_trials"),
        ({"max_trials": None}, "time_budget or max_trials"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"test_ratio": 1.0}, "test_ratio"),
        ({"time_budget": -5.0, "max_trials": None}, "time_budget"),
        ({"trial_timeout": 0.0}, "trial_timeout"),
    ],
)
def test_bad_settings_are_config_errors(settings: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _automl(**settings).fit(classification_frame(50), target="label")


def test_using_an_unfitted_automl_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not fitted"):
        AutoML().predict(classification_frame(10))
