"""TrialPool: trials in forked children with hard deadlines; failures become records."""

import os
import signal
import time
from typing import Any

import numpy as np
import psutil
import pytest

from tunelab.entities import TrialStatus
from tunelab.executors import LocalProcessExecutor
from tunelab.search import SearchProblem, TrialData, TrialTask
from tunelab.search import _trial as trial_module
from tunelab.search._pool import TrialPool
from tunelab.search._trial import TrialOutcome

Problem = tuple[TrialData, SearchProblem]


def _drain(pool: TrialPool, *, rounds: int = 300) -> list[TrialOutcome]:
    """Every outcome of the pool's running trials (bounded, so a bug cannot hang the test)."""
    outcomes: list[TrialOutcome] = []
    for _ in range(rounds):
        if not pool.n_running:
            break
        outcomes += pool.wait(timeout=1.0)
    assert pool.n_running == 0, "trials still running after the bounded wait"
    return outcomes


def _run_one(problem: Problem, task: TrialTask, timeout: float = 120.0) -> TrialOutcome:
    pool = TrialPool(LocalProcessExecutor(1), *problem)
    pool.submit(task, timeout)
    (outcome,) = _drain(pool)
    return outcome


def _live_children() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children()
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]


def test_trial_runs_in_child_and_returns_scores_and_oof(binary_problem: Problem) -> None:
    data, _ = binary_problem
    outcome = _run_one(binary_problem, TrialTask(3, "logistic_regression", {}, "default"))
    assert outcome.status is TrialStatus.OK
    assert outcome.task.number == 3
    assert len(outcome.fold_scores) == len(data.folds)
    assert outcome.score is not None
    assert 0.5 < outcome.score <= 1.0
    assert outcome.oof is not None
    assert outcome.oof.shape == (len(data.valid_rows), 2)
    np.testing.assert_allclose(outcome.oof.sum(axis=1), 1.0)
    assert outcome.models is not None
    assert len(outcome.models) == len(data.folds)


def test_unknown_family_fails_with_the_reason(binary_problem: Problem) -> None:
    outcome = _run_one(binary_problem, TrialTask(0, "no_such_family", {}))
    assert outcome.status is TrialStatus.FAILED
    assert "ConfigError" in outcome.reason
    assert "no_such_family" in outcome.reason
    assert outcome.score is None


def test_params_that_break_fitting_fail_with_the_reason(binary_problem: Problem) -> None:
    outcome = _run_one(binary_problem, TrialTask(0, "logistic_regression", {"C": -1.0}))
    assert outcome.status is TrialStatus.FAILED
    assert "'C'" in outcome.reason or " C " in outcome.reason
    assert outcome.score is None
    assert outcome.score_std is None


def test_hanging_trial_is_killed_as_timed_out(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(600)

    monkeypatch.setattr(trial_module, "fit_fold_model", hang)  # the fork inherits it
    before = {p.pid for p in _live_children()}  # other tests' helpers may live on
    outcome = _run_one(binary_problem, TrialTask(0, "logistic_regression", {}), timeout=1.0)
    assert outcome.status is TrialStatus.TIMED_OUT
    assert "trial timeout" in outcome.reason
    assert outcome.score is None
    assert not [p for p in _live_children() if p.pid not in before]


def test_slow_real_fit_is_killed_as_timed_out(binary_problem: Problem) -> None:
    task = TrialTask(0, "random_forest", {"n_estimators": 20_000, "max_features": 1.0})
    outcome = _run_one(binary_problem, task, timeout=1.0)
    assert outcome.status is TrialStatus.TIMED_OUT
    assert "killed after" in outcome.reason


def test_child_that_exits_is_reported_as_died(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def die(*args: Any, **kwargs: Any) -> Any:
        os._exit(7)

    monkeypatch.setattr(trial_module, "fit_fold_model", die)
    outcome = _run_one(binary_problem, TrialTask(0, "logistic_regression", {}))
    assert outcome.status is TrialStatus.FAILED
    assert "died" in outcome.reason
    assert "exit code 7" in outcome.reason


def test_child_killed_from_outside_is_reported_as_died(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(600)

    monkeypatch.setattr(trial_module, "fit_fold_model", hang)
    before = {p.pid for p in _live_children()}
    pool = TrialPool(LocalProcessExecutor(1), *binary_problem)
    pool.submit(TrialTask(0, "logistic_regression", {}), 120.0)
    (child,) = [p for p in _live_children() if p.pid not in before]
    os.kill(child.pid, signal.SIGKILL)
    (outcome,) = _drain(pool)
    assert outcome.status is TrialStatus.FAILED
    assert "died" in outcome.reason
    assert f"exit code {-signal.SIGKILL}" in outcome.reason


def test_memory_limit_kills_the_trial(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(600)

    monkeypatch.setattr(trial_module, "fit_fold_model", hang)
    pool = TrialPool(
        LocalProcessExecutor(1), *binary_problem, memory_limit_mb=1
    )  # any Python process is larger
    pool.submit(TrialTask(0, "logistic_regression", {}), 120.0)
    (outcome,) = _drain(pool)
    assert outcome.status is TrialStatus.FAILED
    assert "memory limit" in outcome.reason


def test_kill_all_ends_every_running_trial(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(600)

    monkeypatch.setattr(trial_module, "fit_fold_model", hang)
    before = {p.pid for p in _live_children()}  # other tests' helpers may live on
    pool = TrialPool(LocalProcessExecutor(2), *binary_problem)
    pool.submit(TrialTask(0, "logistic_regression", {}), 120.0)
    assert pool.has_free_slot
    pool.submit(TrialTask(1, "decision_tree", {}), 120.0)
    assert not pool.has_free_slot
    assert pool.n_running == 2
    assert [t.number for t, _, _ in pool.running_tasks()] == [0, 1]
    outcomes = pool.kill_all("stopped by request")
    assert sorted(o.task.number for o in outcomes) == [0, 1]
    assert all(o.status is TrialStatus.TIMED_OUT for o in outcomes)
    assert all(o.reason == "stopped by request" for o in outcomes)
    assert pool.n_running == 0
    assert not [p for p in _live_children() if p.pid not in before]


def test_capped_deadline_kills_with_the_given_reason(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(600)

    monkeypatch.setattr(trial_module, "fit_fold_model", hang)
    pool = TrialPool(LocalProcessExecutor(1), *binary_problem)
    pool.submit(TrialTask(0, "logistic_regression", {}), 120.0)
    pool.cap_deadlines(time.monotonic() + 0.5, "time kept for something else")
    pool.cap_deadlines(time.monotonic() + 60.0, "a later cap changes nothing")
    (outcome,) = _drain(pool)
    assert outcome.status is TrialStatus.STOPPED  # cut short by the search, not its timeout
    assert outcome.reason == "time kept for something else"
    assert outcome.fit_time < 60


def test_trial_killed_when_the_budget_ends_is_stopped_not_timed_out(
    binary_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(600)

    monkeypatch.setattr(trial_module, "fit_fold_model", hang)
    pool = TrialPool(LocalProcessExecutor(1), *binary_problem)
    pool.submit(TrialTask(0, "logistic_regression", {}), 0.5, budget_end=True)
    (outcome,) = _drain(pool)
    assert outcome.status is TrialStatus.STOPPED
    assert "end of the time budget" in outcome.reason
    assert "trial timeout" not in outcome.reason
