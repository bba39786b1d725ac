"""What the save costs, as the planner reserves it: measured in the run (one part's scoring,
the members' predictions in this process), and the save doing each piece of work once
(behaviour, never wall-clock figures)."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame, regression_frame

from tunelab import AutoML
from tunelab.automl import _budget, _save_prep
from tunelab.automl._budget import PROBE_ROWS, PhasePlanner
from tunelab.bundles import infer_input_schema, reference_statistics
from tunelab.bundles._stats import prediction_statistics
from tunelab.data import fingerprint
from tunelab.entities import TaskType, TrialStatus
from tunelab.evaluation import evaluate_predictions, get_metric, jsonable
from tunelab.evaluation._bootstrap import bootstrap_ci
from tunelab.search import TrialData, TrialOutcome, TrialTask


def _data(n_rows: int = 3000, n_folds: int = 3) -> TrialData:
    X = pd.DataFrame({"x": np.arange(n_rows, dtype=float)})
    chunks = np.array_split(np.arange(n_rows), n_folds)
    folds = tuple((np.setdiff1d(np.arange(n_rows), valid), valid) for valid in chunks)
    return TrialData(X, np.zeros(n_rows), folds)


class Recorder:
    """A fold model that records the rows it was asked to predict."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.calls.append(("predict", len(X)))
        return np.zeros(len(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        self.calls.append(("predict_proba", len(X)))
        return np.full((len(X), 2), 0.5)


def _outcome(number: int, model: Any, predict_time: float = 3.0) -> TrialOutcome:
    return TrialOutcome(
        TrialTask(number, "x", {}),
        TrialStatus.OK,
        models=[model] * 3,
        fit_time=1.0,
        predict_time=predict_time,
    )


def test_scoring_reserve_is_the_measured_cost_scaled_to_the_test_rows() -> None:
    data = _data()  # 3,000 out-of-fold rows
    measured = PhasePlanner(data, 1, 60.0, save=True, n_test_rows=1500, evaluate_seconds=0.4)
    assert measured.scoring_seconds() == pytest.approx(0.4 * (1 + 1500 / 3000))
    unmeasured = PhasePlanner(data, 1, 60.0, save=True, n_test_rows=1500)
    assert unmeasured.scoring_seconds() == pytest.approx(2 * _budget.EVALUATE_PART_SECONDS)
    ranked = [_outcome(0, object(), 0.3)]
    dearer = PhasePlanner(data, 1, 60.0, save=True, n_test_rows=1500, evaluate_seconds=4.0)
    assert dearer.save_seconds(ranked) - measured.save_seconds(ranked) == pytest.approx(3.6 * 1.5)


def test_intervals_are_reserved_only_while_they_cost_a_small_share_of_the_budget() -> None:
    data = _data()  # 3,000 out-of-fold rows; scoring = valid part + test part (x 1.5)
    costs = {"evaluate_seconds": 2.0, "evaluate_plain_seconds": 0.05}
    long_run = PhasePlanner(data, 1, 60.0, save=True, n_test_rows=1500, **costs)
    assert long_run.reserves_intervals  # 3 s of 60 s
    assert long_run.scoring_seconds() == pytest.approx(2.0 * 1.5)
    short_run = PhasePlanner(data, 1, 10.0, save=True, n_test_rows=1500, **costs)
    assert not short_run.reserves_intervals  # 3 s of 10 s: the search keeps it
    assert short_run.scoring_seconds() == pytest.approx(0.05 * 1.5)
    unmeasured_plain = PhasePlanner(data, 1, 10.0, save=True, evaluate_seconds=2.0)
    assert unmeasured_plain.reserves_intervals


def test_ensemble_reserve_uses_the_measured_metric_call() -> None:
    ranked = [_outcome(n, object(), 0.3) for n in range(4)]
    measured = PhasePlanner(_data(), 1, 60.0, score_call_seconds=0.01)
    assert measured.ensemble_seconds(ranked) == pytest.approx(_budget.GREEDY_ROUNDS * 4 * 0.01)
    y = np.random.default_rng(0).integers(0, 2, 500)
    assert _save_prep.measure_score_call("roc_auc", TaskType.BINARY, y, 2) > 0


def test_probe_measures_each_trial_once_in_this_process() -> None:
    """With ``probe``, a member's speed is measured by predicting here (probabilities for a
    classification, at most ``PROBE_ROWS`` rows), once per trial however often the search
    asks for the reserve."""
    model = Recorder()
    ranked = [_outcome(0, model)]
    planner = PhasePlanner(_data(), 1, 60.0, n_classes=2, save=True, probe=True)
    first = planner.save_seconds(ranked)
    assert planner.save_seconds(ranked) == first
    assert model.calls == [("predict_proba", PROBE_ROWS)]
    # without probing, the trial's own timing is used and nothing is predicted here
    quiet = Recorder()
    PhasePlanner(_data(), 1, 60.0, save=True).save_seconds([_outcome(1, quiet)])
    assert quiet.calls == []


def test_probed_speed_replaces_the_trials_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data()
    ranked = [_outcome(0, Recorder(), predict_time=30.0)]  # a slow child: 0.01 s per row
    monkeypatch.setattr(_budget, "probe_row_seconds", lambda model, X, n_classes: 1e-6)
    probed = PhasePlanner(data, 1, 60.0, save=True, probe=True).save_seconds(ranked)
    timed = PhasePlanner(data, 1, 60.0, save=True).save_seconds(ranked)
    rows_times_models = 3000 * 3
    assert timed - probed == pytest.approx((30.0 / 3000 - 1e-6) * rows_times_models)


def test_a_model_that_cannot_predict_here_falls_back_to_the_trials_timing() -> None:
    class Broken:
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            raise RuntimeError("no")

    ranked = [_outcome(0, Broken(), 0.3)]
    probed = PhasePlanner(_data(), 1, 60.0, save=True, probe=True).save_seconds(ranked)
    assert probed == PhasePlanner(_data(), 1, 60.0, save=True).save_seconds(ranked)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return classification_frame(200)


def test_the_measured_scoring_cost_is_what_the_search_keeps_free(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reserve follows the run's own measurement: a scoring cost measured longer than
    the budget leaves room for the first trials only."""
    monkeypatch.setattr(_save_prep, "measure_evaluation", lambda *a, **k: (1e4, 1e4))
    automl = AutoML(time_budget=60, algorithms=CHEAP, n_jobs=1, test_ratio=0.2)
    automl.fit(frame, target="label", reserve_save=True)
    assert len(automl.trials_) == 1
    assert automl.timings_["evaluate_measured"] == 1e4
    assert automl.timings_["score_call_measured"] > 0
    assert automl.timings_["planned"]["save"] >= 1e4


def test_measured_scoring_cost_grows_with_the_resamples() -> None:
    y = np.random.default_rng(0).normal(size=2000)
    kwargs: dict[str, Any] = {"seed": 0}
    few = min(
        _save_prep.measure_evaluation(TaskType.REGRESSION, y, 0, n_resamples=20, **kwargs)[1]
        for _ in range(3)
    )
    plain, many = _save_prep.measure_evaluation(
        TaskType.REGRESSION, y, 0, n_resamples=2000, **kwargs
    )
    assert many > few > 0
    assert many > plain > 0


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_run_saved_within_its_budget_writes_the_same_bundle_facts(
    task: str, tmp_path: Path
) -> None:
    """Data-only parts computed before the search, and predictions reused by the bundle,
    give what computing them in the save gives."""
    if task == "binary":
        data, target = classification_frame(220, seed=3), "label"
    else:
        data, target = regression_frame(220, seed=3), "price"
    algorithms = CHEAP if task == "binary" else ["ridge", "decision_tree"]
    automl = AutoML(time_budget=60, max_trials=3, algorithms=algorithms, test_ratio=0.25)
    automl.fit(data, target=target, reserve_save=True)
    automl._budget_end = None  # the whole report, whatever the machine's speed
    manifest = json.loads((automl.save(tmp_path / "m") / "manifest.json").read_text())
    X, rows = automl._X, automl._fit_rows
    kinds = {c.name: c.kind for c in automl.profile_.columns if c.name in X.columns}
    schema = infer_input_schema(X, kinds)
    assert manifest["input_schema"] == [c.to_dict() for c in schema]
    assert manifest["reference_statistics"] == jsonable(reference_statistics(X.iloc[rows], schema))
    assert manifest["data_fingerprint"] == fingerprint(X)
    labels = list(automl.classes_) if task == "binary" else None
    fresh = prediction_statistics(automl.model_, X.iloc[rows], task, labels)
    assert manifest["prediction_statistics"] == jsonable(fresh)
    held_back = pd.read_parquet(tmp_path / "m" / "held_back.parquet")
    assert len(held_back) == len(automl._test_rows)


def test_prediction_statistics_use_given_outputs_only_for_the_same_rows() -> None:
    class Refuses:
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            raise AssertionError("predicted although the outputs were given")

    class Echo:
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            return X["x"].to_numpy()

    X = pd.DataFrame({"x": np.arange(10.0)})
    stats = prediction_statistics(Refuses(), X, "regression", None, output=np.arange(10.0))
    assert stats == prediction_statistics(Echo(), X, "regression", None)
    with pytest.raises(AssertionError):  # outputs of other rows: predicted again
        prediction_statistics(Refuses(), X, "regression", None, output=np.arange(9.0))


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_bootstrap_draws_shared_by_the_metrics_give_the_same_intervals(task: str) -> None:
    rng = np.random.default_rng(1)
    n = 400
    if task == "regression":
        kwargs: dict[str, Any] = {"y_pred": rng.normal(size=n)}
        y = rng.normal(size=n)
    else:
        k = 2 if task == "binary" else 3
        y = rng.integers(0, k, n)
        kwargs = {"proba": rng.dirichlet(np.ones(k), n)}
    shared = evaluate_predictions(task, None, y, n_resamples=200, **kwargs)
    for name, values in shared["metrics"].items():
        metric = get_metric(name, task)
        alone = bootstrap_ci(metric, y, n_resamples=200, seed=0, **kwargs)
        assert (values["ci_low"], values["ci_high"]) == pytest.approx(alone, nan_ok=True), name


def test_one_evaluation_draws_its_resamples_once() -> None:
    draws: dict[tuple[int, int, int], np.ndarray] = {}
    y = np.arange(50.0)
    for name in ("rmse", "mae", "r2"):
        bootstrap_ci(
            get_metric(name, "regression"), y, y_pred=y[::-1], n_resamples=30, draws=draws
        )
    assert list(draws) == [(50, 30, 0)]


def test_held_back_rows_from_reused_outputs_match_predicting_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sampled held-back rows (more test rows than kept) get the same rows and outputs
    whether the test part's predictions are reused or predicted again."""
    from tunelab.automl._save import _held_back, _predict
    from tunelab.bundles import _held_back as held_back_module

    automl = AutoML(time_budget=None, max_trials=2, algorithms=CHEAP, test_ratio=0.3)
    automl.fit(classification_frame(200, seed=4), target="label")
    monkeypatch.setattr(held_back_module, "MAX_HELD_BACK_ROWS", 20)
    test_output = _predict(automl, automl.model_, automl._X.iloc[automl._test_rows])
    reused = _held_back(automl, test_output)
    predicted = _held_back(automl)
    assert reused is not None
    assert predicted is not None
    assert len(reused) == 20
    pd.testing.assert_frame_equal(reused, predicted)


def test_intervals_too_dear_for_the_budget_are_left_to_the_time_the_save_finds(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Measured intervals far above the budget's share: the search does not reserve them,
    and the save, which knows their cost, leaves them out instead of overrunning."""
    monkeypatch.setattr(_save_prep, "measure_evaluation", lambda *a, **k: (1e-3, 1e4))
    automl = AutoML(time_budget=60, max_trials=3, algorithms=CHEAP, n_jobs=1, test_ratio=0.25)
    automl.fit(frame, target="label", reserve_save=True)
    assert automl.timings_["intervals_reserved"] is False
    assert automl.timings_["planned"]["save"] < 60
    manifest = json.loads((automl.save(tmp_path / "m") / "manifest.json").read_text())
    test_metrics = manifest["metrics"]["test"]
    assert test_metrics["roc_auc"]["value"] is not None
    assert test_metrics["roc_auc"]["ci_low"] is None
