"""run_search: budgets, stopping, failures, determinism, samplers and callbacks."""

import importlib.util
import threading
import time
from typing import Any

import pytest
from search_problems import build_problem

from tunelab.entities import ConfigError, TaskType, TrialRecord, TrialStatus
from tunelab.search import (
    SAMPLERS,
    SearchOptions,
    SearchProblem,
    TrialData,
    make_sampler,
    run_search,
)
from tunelab.search import _trial as trial_module

Problem = tuple[TrialData, SearchProblem]
CHEAP = ("logistic_regression", "decision_tree")
REAL_FIT = trial_module.fit_fold_model


def _options(**kwargs: Any) -> SearchOptions:
    base: dict[str, Any] = {"families": CHEAP, "deterministic": True, "max_trials": 4}
    base.update(kwargs)
    return SearchOptions(**base)


def _fingerprint(records: list[TrialRecord]) -> list[tuple[Any, ...]]:
    return [(r.number, r.family, r.params, r.status, r.score, r.score_std) for r in records]


def test_max_trials_is_respected_and_opening_comes_first(binary_problem: Problem) -> None:
    result = run_search(*binary_problem, _options(max_trials=5))
    assert [r.number for r in result.records] == [0, 1, 2, 3, 4]
    assert result.stop_reason == "trial budget reached"
    assert all(r.status is TrialStatus.OK for r in result.records)
    # the opening plan: each family's default before any portfolio configuration
    assert [r.source for r in result.records[:2]] == ["default", "default"]
    best = max(result.records, key=lambda r: r.score or 0.0)
    assert result.best_number == best.number
    assert result.best_number in result.kept


def test_keep_top_limits_the_kept_trials_to_the_best(binary_problem: Problem) -> None:
    result = run_search(*binary_problem, _options(max_trials=5, keep_top=2))
    assert len(result.kept) == 2
    scores = sorted((r.score or 0.0 for r in result.records), reverse=True)
    assert sorted((o.score or 0.0 for o in result.kept.values()), reverse=True) == scores[:2]


def test_regression_search_keeps_one_dimensional_oof() -> None:
    data, problem = build_problem(TaskType.REGRESSION)
    result = run_search(data, problem, _options(families=("ridge", "decision_tree")))
    assert all(r.status is TrialStatus.OK for r in result.records)
    assert result.best_number is not None
    best = result.kept[result.best_number]
    assert best.oof is not None
    assert best.oof.shape == (len(data.valid_rows),)
    # rmse: lower is better, so the best trial has the smallest score
    assert best.score == min(r.score for r in result.records if r.score is not None)


def test_failing_trial_is_recorded_with_reason_and_search_goes_on(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fit(family: str, *args: Any, **kwargs: Any) -> Any:
        if family == "decision_tree":
            raise RuntimeError("boom from the test")
        return REAL_FIT(family, *args, **kwargs)

    monkeypatch.setattr(trial_module, "fit_fold_model", fit)
    result = run_search(*binary_problem, _options(max_trials=4))
    assert len(result.records) == 4
    failed = [r for r in result.records if r.family == "decision_tree"]
    assert failed
    assert all(r.status is TrialStatus.FAILED for r in failed)
    assert all("RuntimeError: boom from the test" in r.reason for r in failed)
    assert all(r.score is None for r in failed)
    ok = [r for r in result.records if r.family == "logistic_regression"]
    assert ok
    assert all(r.status is TrialStatus.OK for r in ok)
    assert result.best_number in {r.number for r in ok}


def test_overrunning_trial_times_out_and_search_goes_on(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fit(family: str, *args: Any, **kwargs: Any) -> Any:
        if family == "decision_tree":
            time.sleep(600)
        return REAL_FIT(family, *args, **kwargs)

    monkeypatch.setattr(trial_module, "fit_fold_model", fit)
    # 3 s: the sleeping trial is killed all the same; 1 s also killed a logistic regression
    # on a machine with 5 x more work than cores
    result = run_search(*binary_problem, _options(max_trials=3, trial_timeout=3.0))
    assert len(result.records) == 3
    by_family = {r.family: r for r in result.records}
    assert by_family["decision_tree"].status is TrialStatus.TIMED_OUT
    assert "trial timeout" in by_family["decision_tree"].reason
    assert by_family["logistic_regression"].status is TrialStatus.OK
    assert result.stop_reason == "trial budget reached"


def test_early_stopping_rounds_stop_the_search(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("never improves")

    monkeypatch.setattr(trial_module, "fit_fold_model", fail)
    result = run_search(*binary_problem, _options(max_trials=20, early_stopping_rounds=3))
    assert len(result.records) == 3
    assert result.stop_reason == "no improvement in 3 trials"
    assert result.best_number is None
    assert not result.kept


def test_early_stopping_counts_from_the_last_improvement(binary_problem: Problem) -> None:
    rounds = 2
    result = run_search(*binary_problem, _options(max_trials=40, early_stopping_rounds=rounds))
    assert result.stop_reason == f"no improvement in {rounds} trials"
    numbers = [r.number for r in result.records]
    assert len(result.records) < 40
    assert result.best_number is not None
    assert numbers.index(result.best_number) == len(numbers) - 1 - rounds


def test_stop_event_between_trials(binary_problem: Problem) -> None:
    stop = threading.Event()

    class StopAfterTwo:
        def on_trial_end(self, record: TrialRecord) -> None:
            if record.number == 1:
                stop.set()

    result = run_search(
        *binary_problem, _options(max_trials=10), callbacks=[StopAfterTwo()], stop_event=stop
    )
    assert [r.number for r in result.records] == [0, 1]
    assert result.stop_reason == "stopped by request"


def test_stop_event_kills_the_running_trial(binary_problem: Problem) -> None:
    stop = threading.Event()

    class StopAtSecondStart:
        def on_trial_start(self, info: dict[str, Any]) -> None:
            if info["number"] == 1:
                stop.set()

    result = run_search(
        *binary_problem,
        _options(max_trials=10, deterministic=False),
        callbacks=[StopAtSecondStart()],
        stop_event=stop,
    )
    assert result.stop_reason == "stopped by request"
    assert [r.number for r in result.records] == [0, 1]
    assert result.records[0].status is TrialStatus.OK
    assert result.records[1].status is TrialStatus.TIMED_OUT
    assert result.records[1].reason == "stopped by request"


def test_passed_deadline_launches_nothing(binary_problem: Problem) -> None:
    result = run_search(*binary_problem, _options(deadline=time.monotonic() - 1.0))
    assert result.records == []
    assert result.stop_reason == "time budget reached"
    assert result.best_number is None


def test_same_seed_and_trial_budget_give_the_same_leaderboard(binary_problem: Problem) -> None:
    options = _options(
        families=("logistic_regression", "decision_tree", "lightgbm"),
        max_trials=5,
        use_opening=False,  # every trial comes from the seeded sampler
    )
    first = run_search(*binary_problem, options)
    second = run_search(*binary_problem, options)
    assert all(r.source == "search" for r in first.records)
    assert _fingerprint(first.records) == _fingerprint(second.records)
    assert first.best_number == second.best_number


@pytest.mark.parametrize("sampler", ["tpe", "random", "grid", "qmc", "cmaes"])
def test_samplers_drive_the_search(binary_problem: Problem, sampler: str) -> None:
    result = run_search(
        *binary_problem, _options(sampler=sampler, max_trials=3, use_opening=False)
    )
    assert len(result.records) == 3
    assert all(r.source == "search" for r in result.records)
    assert all(r.family in CHEAP for r in result.records)
    assert all(r.status is TrialStatus.OK for r in result.records)
    assert len(result.study.trials) == 3


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_gp_sampler_without_torch_names_the_install() -> None:
    with pytest.raises(ConfigError, match=r"'gp'.*PyTorch.*pip install torch"):
        make_sampler("gp", 0)


def test_unknown_sampler_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown sampler 'annealing'") as info:
        make_sampler("annealing", 0)
    assert all(name in str(info.value) for name in SAMPLERS)


def test_callbacks_receive_start_end_and_best(binary_problem: Problem) -> None:
    events: list[tuple[str, Any]] = []

    class Recorder:
        def on_trial_start(self, info: dict[str, Any]) -> None:
            events.append(("start", info))

        def on_trial_end(self, record: TrialRecord) -> None:
            events.append(("end", record))

        def on_best(self, record: TrialRecord) -> None:
            events.append(("best", record))

    class OnlyEnd:  # callbacks may implement a subset of the hooks
        def __init__(self) -> None:
            self.seen: list[int] = []

        def on_trial_end(self, record: TrialRecord) -> None:
            self.seen.append(record.number)

    partial = OnlyEnd()
    result = run_search(*binary_problem, _options(max_trials=4), callbacks=[Recorder(), partial])
    starts = [info for kind, info in events if kind == "start"]
    ends = [rec for kind, rec in events if kind == "end"]
    bests = [rec for kind, rec in events if kind == "best"]
    assert [s["number"] for s in starts] == [0, 1, 2, 3]
    assert {"number", "family", "params", "source", "timeout"} <= set(starts[0])
    assert ends == result.records
    assert partial.seen == [0, 1, 2, 3]
    assert bests
    assert bests[-1].number == result.best_number
    scores = [b.score for b in bests]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)
    for kind, payload in events:  # every start precedes its end
        if kind == "end":
            assert events.index(("start", starts[payload.number])) < events.index((kind, payload))


def test_reserve_for_the_best_trial_ends_the_search_early(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a best trial exists, the search keeps its reserve free: no trial starts after
    ``deadline - reserve`` and running ones are cut at that instant."""

    def fit(family: str, *args: Any, **kwargs: Any) -> Any:
        if family == "decision_tree":
            time.sleep(600)  # still running when the best (logistic regression) comes in
        return REAL_FIT(family, *args, **kwargs)

    monkeypatch.setattr(trial_module, "fit_fold_model", fit)
    seen: list[Any] = []

    def reserve(ranked: list[Any]) -> float:
        if not ranked:  # asked before any trial is kept too (for fixed costs)
            return 0.0
        seen.append(ranked[0].task.number)
        return 600.0  # from the first kept trial on, the search's end is in the past

    options = _options(
        max_trials=None, deterministic=False, n_workers=2, deadline=time.monotonic() + 600
    )
    result = run_search(*binary_problem, SearchOptions(**{**vars(options), "reserve": reserve}))
    assert result.stop_reason == "time budget reached"
    by_family = {r.family: r for r in result.records}
    assert by_family["logistic_regression"].status is TrialStatus.OK
    assert seen
    assert set(seen) == {by_family["logistic_regression"].number}
    tree = by_family["decision_tree"]
    assert tree.status is TrialStatus.STOPPED
    assert tree.reason == "killed at the search's end (time kept for the refit, ensemble and save)"
    assert len(result.records) == 2  # nothing started after the reserve began
