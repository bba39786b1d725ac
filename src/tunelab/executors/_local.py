"""Runs calls in forked child processes with a hard deadline and an optional memory cap.

Children are forked: they start in milliseconds, share the caller's data copy-on-write (the
call's arguments are never pickled), and never re-import the caller's ``__main__`` (scripts
and notebooks work unguarded). Each call is limited to ``resources.cpus`` threads (OpenMP
included). A call that overruns its deadline or its memory cap is killed (SIGKILL) and
reported; the others go on.
"""

import contextlib
import gc
import multiprocessing as mp
import os
import socket
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import psutil

from tunelab._lifeline import die_with_parent
from tunelab.executors._protocol import Call, CallEnd, EndState


def local_host() -> str:
    """The name of this machine, as recorded for calls run on it."""
    return socket.gethostname()


def _child_main(conn: Connection, call: Call) -> None:
    """Entry point of a call's child process: run it and send ``(ok, value_or_reason)``."""
    parent = mp.parent_process()
    if parent is not None and parent.pid is not None:  # no orphan outlives a killed worker
        die_with_parent(parent.pid)
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=call.resources.cpus):
            message: tuple[bool, Any] = (True, call.fn(*call.args))
    except BaseException as error:
        message = (False, f"{type(error).__name__}: {error}")
    try:
        conn.send(message)
    except Exception as error:
        conn.send((False, f"{type(error).__name__}: {error}"))
    conn.close()


@dataclass
class _Running:
    call: Call
    process: BaseProcess
    conn: Connection
    started: float
    deadline: float
    kill_reason: str = ""


class LocalProcessExecutor:
    """At most ``n_workers`` calls at once, each in its own forked process."""

    def __init__(self, n_workers: int = 1) -> None:
        self.n_workers = max(1, n_workers)
        self.host = local_host()
        self._ctx = mp.get_context("fork")
        self._running: dict[int, _Running] = {}

    @property
    def n_running(self) -> int:
        return len(self._running)

    def capacity(self) -> int:
        return max(0, self.n_workers - len(self._running))

    def submit(self, call: Call) -> None:
        if call.key in self._running:
            raise ValueError(f"call {call.key} is already running")
        now = time.monotonic()
        receiver, sender = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(target=_child_main, args=(sender, call), daemon=True)
        # The child's garbage collector then leaves the parent's objects alone: walking them
        # would write to (copy) every page they live on, in every child.
        gc.freeze()
        try:
            process.start()
        finally:
            gc.unfreeze()
        sender.close()
        self._running[call.key] = _Running(call, process, receiver, now, now + call.timeout)

    def cap_deadlines(self, at: float, reason: str) -> None:
        for run in self._running.values():
            if run.deadline > at:
                run.deadline, run.kill_reason = at, reason

    def wait(self, timeout: float) -> list[CallEnd]:
        if not self._running:
            return []
        now = time.monotonic()
        nearest = min(r.deadline for r in self._running.values())
        capped = any(r.call.resources.memory_mb for r in self._running.values())
        poll = 0.5 if capped else timeout
        limit = max(0.0, min(timeout, nearest - now, poll))
        handles: list[Any] = [r.conn for r in self._running.values()]
        handles += [r.process.sentinel for r in self._running.values()]
        ready = set(wait(handles, timeout=limit))
        ended: list[CallEnd] = []
        for key, run in list(self._running.items()):
            end: CallEnd | None = None
            if run.conn in ready or (run.process.sentinel in ready and run.conn.poll()):
                try:
                    ok, value = run.conn.recv()
                    end = self._end(run, EndState.RETURNED if ok else EndState.ERROR)
                    if ok:
                        end.value = value
                    else:
                        end.reason = str(value)
                except (EOFError, OSError):
                    end = self._died(run)
            elif run.process.sentinel in ready:
                end = self._died(run)
            if end is None and time.monotonic() >= run.deadline:
                self._kill(run)
                reason = run.kill_reason or (
                    f"killed after {run.deadline - run.started:.1f} s (trial timeout)"
                )
                end = self._end(run, EndState.TIMED_OUT, reason)
            if end is None and self._over_memory(run):
                self._kill(run)
                limit_mb = run.call.resources.memory_mb or 0.0
                reason = f"killed: exceeded the memory limit of {limit_mb:.0f} MB"
                end = self._end(run, EndState.OUT_OF_MEMORY, reason)
            if end is not None:
                run.process.join(timeout=5)
                run.conn.close()
                del self._running[key]
                ended.append(end)
        return ended

    def kill_all(self, reason: str) -> list[CallEnd]:
        ended = []
        for run in self._running.values():
            self._kill(run)
            run.conn.close()
            ended.append(self._end(run, EndState.KILLED, reason))
        self._running.clear()
        return ended

    def shutdown(self) -> None:
        self.kill_all("the executor was shut down")

    def _end(self, run: _Running, state: EndState, reason: str = "") -> CallEnd:
        elapsed = time.monotonic() - run.started
        return CallEnd(
            run.call.key, state, elapsed=elapsed, reason=reason, host=self.host, node_id="local"
        )

    def _died(self, run: _Running) -> CallEnd:
        run.process.join(timeout=1)
        reason = f"the trial process died (exit code {run.process.exitcode})"
        return self._end(run, EndState.DIED, reason)

    @staticmethod
    def _over_memory(run: _Running) -> bool:
        limit_mb = run.call.resources.memory_mb
        if not limit_mb or run.process.pid is None:
            return False
        try:
            rss = psutil.Process(run.process.pid).memory_info().rss
        except psutil.Error:
            return False
        return bool(rss / 2**20 > limit_mb)

    @staticmethod
    def _kill(run: _Running) -> None:
        if run.process.pid is not None and run.process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(run.process.pid, 9)
        run.process.join(timeout=5)
