"""Runs trials in child processes with a hard deadline and an optional memory cap.

Children are forked: they start in milliseconds, share the training data copy-on-write, and
never re-import the caller's ``__main__`` (scripts and notebooks work unguarded). Each trial
uses one thread (OpenMP included), and the parent never fits a model, so no thread-pool state
is inherited across the fork. A trial that overruns its deadline or its memory cap is killed
(SIGKILL) and reported; the search goes on.
"""

import contextlib
import dataclasses
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import psutil

from tunelab._lifeline import die_with_parent
from tunelab.entities import TrialStatus
from tunelab.search._problem import SearchProblem, TrialData
from tunelab.search._trial import TrialOutcome, TrialTask, execute_trial, failed_outcome


def _child_main(
    conn: Connection, task: TrialTask, data: TrialData, problem: SearchProblem
) -> None:
    """Entry point of a trial's child process: run it and send the outcome back."""
    parent = mp.parent_process()
    if parent is not None and parent.pid is not None:  # no orphan outlives a killed worker
        die_with_parent(parent.pid)
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=problem.threads_per_trial):
            outcome = execute_trial(task, data, problem)
    except BaseException as error:
        outcome = failed_outcome(task, error)
    try:
        conn.send(outcome)
    except Exception as error:
        conn.send(failed_outcome(task, error))
    conn.close()


@dataclass
class _Running:
    task: TrialTask
    process: BaseProcess
    conn: Connection
    started: float
    deadline: float
    kill_reason: str = ""


class TrialPool:
    """At most ``n_workers`` trials at once, each in its own process."""

    def __init__(
        self,
        n_workers: int,
        data: TrialData,
        problem: SearchProblem,
        *,
        memory_limit_mb: float | None = None,
    ) -> None:
        self.n_workers = max(1, n_workers)
        self.data = data
        self.problem = problem
        self.memory_limit_mb = memory_limit_mb
        self._ctx = mp.get_context("fork")
        self._running: dict[int, _Running] = {}

    @property
    def n_running(self) -> int:
        return len(self._running)

    @property
    def has_free_slot(self) -> bool:
        return len(self._running) < self.n_workers

    def running_tasks(self) -> list[tuple[TrialTask, float, float]]:
        """(task, started, deadline) of every running trial."""
        return [(r.task, r.started, r.deadline) for r in self._running.values()]

    def cap_deadlines(self, at: float, reason: str) -> None:
        """Kill running trials at ``at`` at the latest, giving ``reason`` for those cut short."""
        for run in self._running.values():
            if run.deadline > at:
                run.deadline, run.kill_reason = at, reason

    def submit(self, task: TrialTask, timeout: float) -> None:
        """Start ``task`` in a new child process; it is killed after ``timeout`` seconds."""
        now = time.monotonic()
        task = dataclasses.replace(
            task, deadline=now + timeout if timeout != float("inf") else None
        )
        receiver, sender = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=_child_main, args=(sender, task, self.data, self.problem), daemon=True
        )
        process.start()
        sender.close()
        self._running[task.number] = _Running(task, process, receiver, now, now + timeout)

    def wait(self, timeout: float) -> list[TrialOutcome]:
        """Wait up to ``timeout`` seconds for trials to end; return those that ended."""
        if not self._running:
            return []
        now = time.monotonic()
        nearest = min(r.deadline for r in self._running.values())
        poll = 0.5 if self.memory_limit_mb else timeout
        limit = max(0.0, min(timeout, nearest - now, poll))
        handles: list[Any] = [r.conn for r in self._running.values()]
        handles += [r.process.sentinel for r in self._running.values()]
        ready = set(wait(handles, timeout=limit))
        finished: list[TrialOutcome] = []
        for number, run in list(self._running.items()):
            outcome: TrialOutcome | None = None
            if run.conn in ready or (run.process.sentinel in ready and run.conn.poll()):
                try:
                    outcome = run.conn.recv()
                except (EOFError, OSError):
                    outcome = self._died(run)
            elif run.process.sentinel in ready:
                outcome = self._died(run)
            if outcome is None and time.monotonic() >= run.deadline:
                self._kill(run)
                outcome = TrialOutcome(
                    task=run.task,
                    status=TrialStatus.TIMED_OUT,
                    fit_time=time.monotonic() - run.started,
                    reason=run.kill_reason
                    or f"killed after {run.deadline - run.started:.1f} s (trial timeout)",
                )
            if outcome is None and self._over_memory(run):
                self._kill(run)
                outcome = TrialOutcome(
                    task=run.task,
                    status=TrialStatus.FAILED,
                    fit_time=time.monotonic() - run.started,
                    reason=f"killed: exceeded the memory limit of {self.memory_limit_mb:.0f} MB",
                )
            if outcome is not None:
                run.process.join(timeout=5)
                run.conn.close()
                del self._running[number]
                finished.append(outcome)
        return finished

    def kill_all(self, reason: str) -> list[TrialOutcome]:
        """Kill every running trial; each becomes a TIMED_OUT outcome naming ``reason``."""
        outcomes = []
        for run in self._running.values():
            self._kill(run)
            run.conn.close()
            outcomes.append(
                TrialOutcome(
                    task=run.task,
                    status=TrialStatus.TIMED_OUT,
                    fit_time=time.monotonic() - run.started,
                    reason=reason,
                )
            )
        self._running.clear()
        return outcomes

    @staticmethod
    def _died(run: _Running) -> TrialOutcome:
        run.process.join(timeout=1)
        return TrialOutcome(
            task=run.task,
            status=TrialStatus.FAILED,
            fit_time=time.monotonic() - run.started,
            reason=f"the trial process died (exit code {run.process.exitcode})",
        )

    def _over_memory(self, run: _Running) -> bool:
        if not self.memory_limit_mb or run.process.pid is None:
            return False
        try:
            rss = psutil.Process(run.process.pid).memory_info().rss
        except psutil.Error:
            return False
        return rss / 2**20 > self.memory_limit_mb

    @staticmethod
    def _kill(run: _Running) -> None:
        if run.process.pid is not None and run.process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(run.process.pid, 9)
        run.process.join(timeout=5)
