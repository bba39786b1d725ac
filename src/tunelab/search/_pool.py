"""The search's side of the executor seam: trials in, trial outcomes out.

``TrialPool`` turns each trial into a call of ``run_trial`` handed to a ``TrialExecutor``
(by default ``LocalProcessExecutor``: forked children with a hard deadline) and turns
each call's end back into a ``TrialOutcome``: a trial killed at its own deadline or on
request is TIMED_OUT, one cut short because the search's time budget ended is STOPPED,
one that died, overran its memory cap or could not send its result back is FAILED, and
every outcome names the host it ran on.
"""

import dataclasses
import time
from dataclasses import dataclass

from tunelab.entities import TrialStatus
from tunelab.executors import Call, CallEnd, EndState, Resources, TrialExecutor
from tunelab.search._problem import SearchProblem, TrialData
from tunelab.search._trial import TrialOutcome, TrialTask, run_trial

_TIMED_OUT = (EndState.TIMED_OUT, EndState.KILLED)


@dataclass(frozen=True)
class _Submitted:
    task: TrialTask
    started: float
    deadline: float
    budget_end: bool = False  # its deadline is the end of the time budget, not its timeout


class TrialPool:
    """Runs the trials of one search on ``executor``, at most its capacity at once.

    Call keys are trial numbers, so an executor serves one search at a time.
    """

    def __init__(
        self,
        executor: TrialExecutor,
        data: TrialData,
        problem: SearchProblem,
        *,
        memory_limit_mb: float | None = None,
        gpus: float = 0.0,
    ) -> None:
        self.executor = executor
        self.data = data
        self.problem = problem
        self.resources = Resources(
            cpus=problem.threads_per_trial, gpus=gpus, memory_mb=memory_limit_mb
        )
        self._submitted: dict[int, _Submitted] = {}

    @property
    def n_running(self) -> int:
        return len(self._submitted)

    @property
    def has_free_slot(self) -> bool:
        return self.executor.capacity() > 0

    def running_tasks(self) -> list[tuple[TrialTask, float, float]]:
        """(task, started, deadline) of every running trial."""
        return [(s.task, s.started, s.deadline) for s in self._submitted.values()]

    def cap_deadlines(self, at: float, reason: str) -> None:
        """Kill running trials at ``at`` at the latest, giving ``reason`` for those cut short."""
        for number, submitted in list(self._submitted.items()):
            if submitted.deadline > at:
                self._submitted[number] = dataclasses.replace(
                    submitted, deadline=at, budget_end=True
                )
        self.executor.cap_deadlines(at, reason)

    def submit(self, task: TrialTask, timeout: float, *, budget_end: bool = False) -> None:
        """Start ``task``; it is killed after ``timeout`` seconds (``budget_end``: that is
        when the search's time budget ends, not the trial's own timeout)."""
        now = time.monotonic()
        task = dataclasses.replace(
            task, deadline=now + timeout if timeout != float("inf") else None
        )
        call = Call(
            task.number, run_trial, (task, self.data, self.problem), timeout, self.resources
        )
        self.executor.submit(call)
        self._submitted[task.number] = _Submitted(task, now, now + timeout, budget_end)

    def wait(self, timeout: float) -> list[TrialOutcome]:
        """Wait up to ``timeout`` seconds for trials to end; return those that ended."""
        if not self._submitted:
            return []
        return [self._outcome(end) for end in self.executor.wait(timeout)]

    def kill_all(self, reason: str) -> list[TrialOutcome]:
        """Kill every running trial; each becomes a TIMED_OUT outcome naming ``reason``."""
        return [self._outcome(end) for end in self.executor.kill_all(reason)]

    def _outcome(self, end: CallEnd) -> TrialOutcome:
        submitted = self._submitted.pop(end.key)
        task = submitted.task
        if end.state is EndState.RETURNED and isinstance(end.value, TrialOutcome):
            outcome = end.value
        else:
            status = TrialStatus.TIMED_OUT if end.state in _TIMED_OUT else TrialStatus.FAILED
            reason = end.reason or f"the trial ended without a result ({end.state})"
            if end.state is EndState.TIMED_OUT and submitted.budget_end:
                status = TrialStatus.STOPPED
                if not end.reason or "trial timeout" in end.reason:  # the executor's wording
                    reason = f"stopped at the end of the time budget, after {end.elapsed:.1f} s"
            outcome = TrialOutcome(task, status, fit_time=end.elapsed, reason=reason)
        outcome.host = end.host
        outcome.node_id = end.node_id
        return outcome
