"""The TrialExecutor seam: the search runs its trials on the executor it is given."""

import socket
import time
from typing import Any

import pandas as pd
import pytest

from tunelab import AutoML
from tunelab.entities import TrialRecord, TrialStatus
from tunelab.executors import (
    Call,
    CallEnd,
    EndState,
    LocalProcessExecutor,
    Resources,
    TrialExecutor,
)
from tunelab.search import SearchOptions, SearchProblem, TrialData, TrialTask, run_search
from tunelab.search._pool import TrialPool

Problem = tuple[TrialData, SearchProblem]
CHEAP = ("logistic_regression", "decision_tree")


class SyncExecutor:
    """Runs each call in this process when ``wait`` is called (no deadline is enforced).

    ``ends`` scripts how given calls end instead of running them (key -> state).
    """

    def __init__(self, n_workers: int = 1, ends: dict[int, EndState] | None = None) -> None:
        self.n_workers = n_workers
        self.ends = ends or {}
        self.pending: list[Call] = []
        self.submitted: list[Call] = []
        self.caps: list[tuple[float, str]] = []
        self.shut_down = False

    @property
    def n_running(self) -> int:
        return len(self.pending)

    def capacity(self) -> int:
        return self.n_workers - len(self.pending)

    def submit(self, call: Call) -> None:
        self.pending.append(call)
        self.submitted.append(call)

    def wait(self, timeout: float) -> list[CallEnd]:
        ended = [self._run(call) for call in self.pending]
        self.pending.clear()
        return ended

    def cap_deadlines(self, at: float, reason: str) -> None:
        self.caps.append((at, reason))

    def kill_all(self, reason: str) -> list[CallEnd]:
        ended = [
            CallEnd(c.key, EndState.KILLED, reason=reason, host="sync-node") for c in self.pending
        ]
        self.pending.clear()
        return ended

    def shutdown(self) -> None:
        self.shut_down = True

    def _run(self, call: Call) -> CallEnd:
        if call.key in self.ends:
            return CallEnd(call.key, self.ends[call.key], reason="scripted", host="sync-node")
        started = time.monotonic()
        value = call.fn(*call.args)
        elapsed = time.monotonic() - started
        return CallEnd(call.key, EndState.RETURNED, value, elapsed, host="sync-node")


def _options(**kwargs: Any) -> SearchOptions:
    base: dict[str, Any] = {"families": CHEAP, "deterministic": True, "max_trials": 6}
    base.update(kwargs)
    return SearchOptions(**base)


def _trials(records: list[TrialRecord]) -> list[tuple[Any, ...]]:
    return [(r.number, r.family, r.params, r.status, r.score, r.score_std) for r in records]


def test_both_executors_satisfy_the_protocol() -> None:
    assert isinstance(SyncExecutor(), TrialExecutor)
    assert isinstance(LocalProcessExecutor(2), TrialExecutor)


def test_a_given_executor_runs_the_same_trials_as_the_local_one(binary_problem: Problem) -> None:
    executor = SyncExecutor()
    through_sync = run_search(*binary_problem, _options(), executor=executor)
    through_local = run_search(*binary_problem, _options())
    assert len(through_sync.records) == 6
    assert _trials(through_sync.records) == _trials(through_local.records)
    assert through_sync.best_number == through_local.best_number
    assert [c.key for c in executor.submitted] == [r.number for r in through_sync.records]
    assert {r.host for r in through_sync.records} == {"sync-node"}
    assert {r.host for r in through_local.records} == {socket.gethostname()}
    assert {r.node_id for r in through_local.records} == {"local"}
    assert not executor.shut_down  # the caller's executor is left for another search


def test_calls_carry_the_trial_its_timeout_and_resources(binary_problem: Problem) -> None:
    executor = SyncExecutor()
    options = _options(max_trials=2, trial_timeout=30.0, memory_limit_mb=512.0)
    run_search(*binary_problem, options, executor=executor)
    call = executor.submitted[0]
    task = call.args[0]
    assert isinstance(task, TrialTask)
    assert task.number == call.key
    assert call.args[1] is binary_problem[0]  # the data is handed over, not copied
    assert 0 < call.timeout <= 30.0
    assert call.resources.cpus == binary_problem[1].threads_per_trial
    assert call.resources.memory_mb == 512.0


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (EndState.TIMED_OUT, TrialStatus.TIMED_OUT),
        (EndState.KILLED, TrialStatus.TIMED_OUT),
        (EndState.DIED, TrialStatus.FAILED),
        (EndState.OUT_OF_MEMORY, TrialStatus.FAILED),
        (EndState.ERROR, TrialStatus.FAILED),
    ],
)
def test_calls_without_a_result_become_failed_or_timed_out_trials(
    binary_problem: Problem, state: EndState, status: TrialStatus
) -> None:
    pool = TrialPool(SyncExecutor(ends={0: state}), *binary_problem)
    pool.submit(TrialTask(0, "logistic_regression", {}), 60.0)
    (outcome,) = pool.wait(1.0)
    assert outcome.status is status
    assert outcome.reason == "scripted"
    assert outcome.host == "sync-node"
    assert pool.n_running == 0


def test_a_scripted_failure_is_recorded_and_the_search_goes_on(binary_problem: Problem) -> None:
    executor = SyncExecutor(ends={1: EndState.DIED})
    result = run_search(*binary_problem, _options(max_trials=4), executor=executor)
    statuses = [r.status for r in result.records]
    assert statuses == [TrialStatus.OK, TrialStatus.FAILED, TrialStatus.OK, TrialStatus.OK]
    assert result.records[1].reason == "scripted"


def test_automl_runs_its_trials_on_the_given_executor() -> None:
    frame = pd.DataFrame(
        {"x": [float(i % 17) for i in range(120)], "z": [float(i % 5) for i in range(120)]}
    )
    frame["y"] = ((frame["x"] + frame["z"]) > 10).astype(int)
    executor = SyncExecutor()
    model = AutoML(
        time_budget=None,
        max_trials=3,
        algorithms=["logistic_regression", "decision_tree"],
        ensemble="none",
        refit_final=False,
        executor=executor,
    ).fit(frame, target="y")
    assert len(model.trials_) == 3
    assert len(executor.submitted) == 3
    assert {t.host for t in model.trials_} == {"sync-node"}
    assert set(model.predict(frame.drop(columns="y"))) <= {0, 1}


def test_automl_asks_the_executor_for_the_settings_cpus_memory_and_gpus() -> None:
    """``cpu_per_trial``/``memory_limit_mb``/``gpu_per_trial`` reach every trial's call (a
    Ray task's num_cpus/memory/num_gpus) and the trial's own thread count."""
    frame = pd.DataFrame({"x": [float(i % 13) for i in range(90)]})
    frame["y"] = (frame["x"] > 6).astype(int)
    executor = SyncExecutor()
    AutoML(
        time_budget=None,
        max_trials=2,
        algorithms=["logistic_regression"],
        ensemble="none",
        refit_best=False,
        refit_final=False,
        cpu_per_trial=3,
        gpu_per_trial=0.5,
        memory_limit_mb=700.0,
        executor=executor,
    ).fit(frame, target="y")
    assert {c.resources for c in executor.submitted} == {
        Resources(cpus=3, gpus=0.5, memory_mb=700.0)
    }
    assert {c.args[2].threads_per_trial for c in executor.submitted} == {3}
