"""The time budget covers the phases after the search: what the planner reserves, and that
the search and the save keep to it (behaviour, never wall-clock figures)."""

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame

from tunelab import AutoML
from tunelab.automl import _budget
from tunelab.automl._budget import (
    GREEDY_ROUNDS,
    LIKELY_MEMBERS,
    MARGIN_SECONDS,
    MARGIN_SHARE,
    SAVE_BASE_SECONDS,
    SAVE_MODEL_SECONDS,
    PhasePlanner,
)
from tunelab.automl._refit import SAFETY, expected_refit_seconds
from tunelab.automl._save import IMPORTANCE_REPEATS, importance_rows, save_run
from tunelab.entities import TrialStatus
from tunelab.search import TrialData, TrialOutcome, TrialTask


def _data(n_rows: int = 300, n_folds: int = 3) -> TrialData:
    X = pd.DataFrame({"x": np.arange(n_rows, dtype=float)})
    chunks = np.array_split(np.arange(n_rows), n_folds)
    folds = tuple((np.setdiff1d(np.arange(n_rows), valid), valid) for valid in chunks)
    return TrialData(X, np.zeros(n_rows), folds)


def _outcome(number: int, fit_time: float, predict_time: float = 0.0) -> TrialOutcome:
    return TrialOutcome(
        TrialTask(number, "x", {}),
        TrialStatus.OK,
        models=[object()] * 3,
        fit_time=fit_time,
        predict_time=predict_time,
    )


def test_no_kept_trial_reserves_only_the_margin() -> None:
    planner = PhasePlanner(_data(), n_jobs=1, budget=60.0, save=True, n_test_rows=50)
    assert planner.reserve([]) == pytest.approx(MARGIN_SECONDS + MARGIN_SHARE * 60.0)


def test_reserve_adds_refit_ensemble_and_save_from_the_trials_costs() -> None:
    data = _data()  # 300 rows, 3 folds: every row predicted once per trial
    ranked = [_outcome(0, 6.0, predict_time=0.3), _outcome(1, 3.0, predict_time=0.6)]
    planner = PhasePlanner(
        data, n_jobs=1, budget=100.0, refit_top=1, n_classes=2, save=True, n_test_rows=100
    )
    costs = planner.costs(ranked)
    assert costs.refit == pytest.approx(SAFETY * expected_refit_seconds(ranked[0], data, 1))
    per_score = _budget.SCORE_CALL_SECONDS + _budget.SCORE_VALUE_SECONDS * 300 * 2
    assert costs.ensemble == pytest.approx(GREEDY_ROUNDS * 2 * per_score)
    # each member is a bag of 3 fold models; one fold model predicts a row in 0.3/300 s
    row_cost = 3 * 0.3 / 300 + 3 * 0.6 / 300
    assert costs.save == pytest.approx(
        SAVE_BASE_SECONDS
        + SAVE_MODEL_SECONDS * 6
        + row_cost * (300 + 100)
        + 2 * _budget.EVALUATE_PART_SECONDS
    )
    assert planner.reserve(ranked) == pytest.approx(
        costs.refit + costs.ensemble + costs.save + costs.margin
    )


def test_bigger_models_reserve_more_time_to_save() -> None:
    planner = PhasePlanner(_data(), n_jobs=1, budget=60.0, save=True)
    small, big = _outcome(0, 1.0, 0.01), _outcome(0, 1.0, 0.01)
    small.details["model_bytes"] = 2**20
    big.details["model_bytes"] = 500 * 2**20
    assert planner.save_seconds([big]) - planner.save_seconds([small]) == pytest.approx(
        _budget.SAVE_MB_SECONDS * 499
    )


def test_slower_trials_reserve_more() -> None:
    planner = PhasePlanner(_data(), n_jobs=1, budget=60.0, save=True)
    fast = planner.reserve([_outcome(0, 1.0, 0.01), _outcome(1, 1.0, 0.01)])
    slow = planner.reserve([_outcome(0, 10.0, 1.0), _outcome(1, 10.0, 1.0)])
    assert slow > fast


def test_what_is_not_done_is_not_reserved() -> None:
    ranked = [_outcome(0, 6.0, 0.3), _outcome(1, 3.0, 0.3)]
    planner = PhasePlanner(_data(), n_jobs=1, budget=60.0, refit_top=0, ensemble=False)
    costs = planner.costs(ranked)
    assert (costs.refit, costs.ensemble, costs.save) == (0.0, 0.0, 0.0)
    # one kept trial: nothing to ensemble
    assert PhasePlanner(_data(), n_jobs=1, budget=60.0).costs(ranked[:1]).ensemble == 0.0


def test_refit_reserve_is_capped_and_only_the_likely_members_count() -> None:
    ranked = [_outcome(n, 1000.0, 0.3) for n in range(LIKELY_MEMBERS + 3)]
    planner = PhasePlanner(_data(), n_jobs=1, budget=60.0, refit_top=2, refit_cap=12.0, save=True)
    assert planner.costs(ranked).refit == 12.0
    assert planner.save_seconds(ranked) == planner.save_seconds(ranked[:LIKELY_MEMBERS])


def test_importance_rows_fit_the_time_left() -> None:
    copies = IMPORTANCE_REPEATS * 10 + 1
    assert importance_rows(5000, 10, 1e-4, float("inf")) == 1000  # no deadline: the cap
    assert importance_rows(5000, 10, 1e-4, copies * 1e-4 * 400) == 400
    assert importance_rows(5000, 10, 1e-4, copies * 1e-4 * 50) == 0  # too few: skipped
    assert importance_rows(5000, 10, 1e-4, -3.0) == 0  # the deadline has passed


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return classification_frame(200)


def test_search_stops_submitting_when_the_time_left_is_below_the_reserve(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save predicted to take longer than the budget: once the first trials are kept, no
    other trial starts (the budget would allow dozens of these cheap trials)."""
    monkeypatch.setattr(_budget, "SAVE_BASE_SECONDS", 1e4)
    automl = AutoML(time_budget=60, algorithms=CHEAP, n_jobs=1, test_ratio=0.2)
    automl.fit(frame, target="label", reserve_save=True)
    assert len(automl.trials_) == 1
    assert automl.stop_reason_ == "time budget reached"
    assert automl.timings_["planned"]["save"] >= 1e4
    assert automl.timings_["search"] < 60  # ended well before the budget


def test_budget_started_counts_time_spent_before_fit(frame: pd.DataFrame) -> None:
    """A budget that began (in the caller) longer ago than its length leaves no search."""
    automl = AutoML(time_budget=5, algorithms=CHEAP, n_jobs=1, test_ratio=0.2)
    automl.fit(frame, target="label", budget_started=time.monotonic() - 10)
    assert automl.trials_ == []
    assert automl.final_.kind == "constant"
    assert automl.timings_["before_fit"] >= 10


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> AutoML:
    automl = AutoML(time_budget=None, max_trials=3, algorithms=CHEAP, test_ratio=0.2)
    return automl.fit(frame, target="label")


def test_save_records_its_timings_and_the_fits(fitted: AutoML, tmp_path: Path) -> None:
    save_run(fitted, tmp_path)
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert {"prepare", "search", "ensemble", "refit", "store", "fit"} <= set(timings["fit"])
    assert {"evaluation", "bundle", "importance", "report", "total"} <= set(timings["save"])
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["models"][0]["importance"]  # no deadline: the whole report
    assert len(report["models"]) > 1


def test_save_past_its_deadline_keeps_the_essentials_only(fitted: AutoML, tmp_path: Path) -> None:
    save_run(fitted, tmp_path, deadline=time.monotonic() - 1.0)
    for name in ("manifest.json", "model.skops", "leaderboard.json", "timings.json"):
        assert (tmp_path / name).is_file(), name
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [m["name"] for m in report["models"]] == [report["best_model"]]  # no trial pages
    assert report["models"][0]["importance"] == []
    assert "importance skipped" in report["models"][0]["notes"]
    assert report["models"][0]["metrics"]["test"]  # the final model's metrics are kept


def test_later_refits_expect_the_slowdown_measured_on_earlier_ones() -> None:
    from tunelab.automl._refit import Refit, slowdown_of

    assert slowdown_of([]) == 1.0
    assert slowdown_of([Refit(None, None, "not made")]) == 1.0
    assert slowdown_of([Refit(object(), 0, "", seconds=3.0, expected=1.0)]) == 3.0
    assert slowdown_of([Refit(object(), 0, "", seconds=0.5, expected=1.0)]) == 1.0  # never < 1


def test_a_refit_expected_past_the_end_once_slowed_down_is_skipped(fitted: AutoML) -> None:
    from tunelab.automl._refit import refit_best
    from tunelab.search import SearchProblem

    result = fitted.search_
    number = result.best_number
    assert number is not None
    outcome = result.kept[number]
    data = TrialData(fitted._X.iloc[fitted._fit_rows], fitted._y[fitted._fit_rows], fitted._folds)
    expected = expected_refit_seconds(outcome, data, 1)
    problem = SearchProblem(
        task=fitted.task_, metric=fitted.metric_, n_classes=2, settings=fitted.settings_
    )
    end = time.monotonic() + 5 * SAFETY * expected + 1.0
    slow = refit_best(result, data, problem, end=end, n_jobs=1, slowdown=1e6)
    assert slow.model is None
    assert slow.note.startswith("skipped")
