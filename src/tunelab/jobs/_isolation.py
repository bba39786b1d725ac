"""One job in its own child process: killable on cancel, capped in memory, never orphaned.

The worker forks a child per job and stays single-threaded itself: while the child runs the
handler, the worker's main thread renews the lease, passes a cancel on (shared flags), samples
the memory of the job's process tree and kills the tree when the job exceeds its memory
limit or does not stop within a grace period after a cancel. The child (and every trial
process it forks) dies with its parent, so a SIGKILLed worker leaves nothing behind.
"""

import contextlib
import dataclasses
import logging
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

import psutil

from tunelab._lifeline import die_with_parent
from tunelab.artifacts import ArtifactStore
from tunelab.entities.errors import public_message
from tunelab.entities.platform import JobStatus, LeaseLostError
from tunelab.jobs._context import JobCancelledError, JobContext

Handler = Callable[[JobContext], dict[str, Any] | None]
Outcome = tuple[JobStatus, dict[str, Any] | None, str]
log = logging.getLogger(__name__)

MEMORY_HINT = "raise it with TUNELAB_JOB_MEMORY_MB or `tunelab serve --job-memory-mb`"


def default_memory_limit_mb(workers: int = 1) -> float:
    """60 % of the machine's memory shared by ``workers`` workers (at least 512 MB each)."""
    total = psutil.virtual_memory().total / 2**20
    return max(512.0, 0.6 * total / max(1, workers))


def execute_handler(handler: Handler, ctx: JobContext) -> Outcome:
    """Run ``handler``; its end as (status, result, error)."""
    try:
        result = handler(ctx)
    except JobCancelledError:
        return JobStatus.CANCELLED, None, ""
    except Exception as exc:
        log.warning("job %s failed:\n%s", ctx.job.id, traceback.format_exc())
        return JobStatus.FAILED, None, public_message(exc)
    if ctx.cancelled:  # stopped early; whatever it kept (e.g. the best model) is recorded
        return JobStatus.CANCELLED, result, ""
    return JobStatus.SUCCEEDED, result or {}, ""


def tree_memory_mb(pid: int) -> float:
    """Memory of a process and all its descendants in MiB: the sum of their proportional set
    sizes (shared pages split between sharers, so forked trials are not counted twice);
    resident size where PSS cannot be read."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except (psutil.AccessDenied, AttributeError):
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant (listed first, so none escapes re-parenting)."""
    try:
        root = psutil.Process(pid)
        processes = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(processes, timeout=5)


def _child_main(conn: Connection, handler: Handler, ctx: JobContext, parent_pid: int) -> None:
    """Entry point of a job's process: run the handler with fresh connections."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides (release or cancel)
    ctx.store.engine.dispose(close=False)  # pooled connections stay the parent's
    artifacts = ArtifactStore(ctx.artifacts.url, ctx.artifacts.storage_options)
    outcome = execute_handler(handler, dataclasses.replace(ctx, artifacts=artifacts))
    try:
        conn.send(outcome)
    except Exception as exc:
        conn.send((JobStatus.FAILED, None, f"the job's result could not be returned: {exc}"))
    conn.close()


@dataclass
class JobLimits:
    """What a worker enforces on each job it runs in a child process."""

    memory_limit_mb: float | None = None
    cancel_grace: float = 15.0  # seconds a cancelled job has to stop before it is killed
    memory_poll: float = 0.5


class JobProcess:
    """Runs one claimed job in a forked child and watches it from the worker's main thread."""

    def __init__(
        self,
        ctx: JobContext,
        handler: Handler,
        *,
        limits: JobLimits,
        heartbeat: Callable[[JobContext], None],
        should_release: Callable[[], bool],
        beat: Callable[[], None],
        heartbeat_interval: float,
    ) -> None:
        self.ctx = ctx
        self.handler = handler
        self.limits = limits
        self.heartbeat = heartbeat
        self.should_release = should_release
        self.beat = beat
        self.heartbeat_interval = heartbeat_interval
        self.killed = False  # True when the worker ended the job (its handler did not)

    @staticmethod
    def context(ctx: JobContext) -> JobContext:
        """``ctx`` with flags and a step shared with a forked child."""
        mpc = mp.get_context("fork")
        return dataclasses.replace(
            ctx,
            cancel_event=mpc.Event(),
            lease_lost=mpc.Event(),
            released=mpc.Event(),
            step_box=mpc.Array("c", 128, lock=False),
        )

    def run(self) -> Outcome:
        ctx = self.ctx
        mpc = mp.get_context("fork")
        receiver, sender = mpc.Pipe(duplex=False)
        process = mpc.Process(
            target=_child_main,
            args=(sender, self.handler, ctx, os.getpid()),
            name=f"tunelab-job-{ctx.job.id}",
        )
        process.start()
        sender.close()
        assert process.pid is not None
        tick = min(self.heartbeat_interval, self.limits.memory_poll)
        next_beat = time.monotonic() + self.heartbeat_interval
        cancelled_at: float | None = None
        outcome: Outcome | None = None
        try:
            while outcome is None:
                ready = wait([receiver, process.sentinel], timeout=tick)
                if receiver in ready or receiver.poll():
                    try:
                        outcome = receiver.recv()
                        break
                    except (EOFError, OSError):  # it died without a word
                        process.join(timeout=10)
                        outcome = self._died(process.exitcode)
                        break
                if process.sentinel in ready:
                    process.join(timeout=10)
                    outcome = self._died(process.exitcode)
                    break
                self.beat()
                now = time.monotonic()
                if self.should_release() and not ctx.released.is_set():
                    ctx.released.set()
                    ctx.cancel_event.set()
                if now >= next_beat:
                    next_beat = now + self.heartbeat_interval
                    self.heartbeat(ctx)
                if ctx.cancel_event.is_set() and cancelled_at is None:
                    cancelled_at = now
                outcome = self._over_memory(process.pid)
                if outcome is None and cancelled_at is not None:
                    outcome = self._overdue(process.pid, now - cancelled_at)
        finally:
            if process.is_alive() and outcome is None:  # the worker itself is failing
                kill_tree(process.pid)
            process.join(timeout=10)
            receiver.close()
        assert outcome is not None
        return outcome

    def _died(self, exitcode: int | None) -> Outcome:
        self.killed = True
        how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"{exitcode}"
        step = f" in step {self.ctx.step}" if self.ctx.step else ""
        if self.ctx.cancel_event.is_set():
            return JobStatus.CANCELLED, None, ""
        return JobStatus.FAILED, None, f"the job's process died{step} (exit {how})"

    def _over_memory(self, pid: int) -> Outcome | None:
        limit = self.limits.memory_limit_mb
        if not limit:
            return None
        used = tree_memory_mb(pid)
        if used <= limit:
            return None
        kill_tree(pid)
        self.killed = True
        step = self.ctx.step or "unknown"
        error = (
            f"memory limit of {limit:.0f} MB exceeded in step {step} "
            f"(the job used {used:.0f} MB; {MEMORY_HINT})"
        )
        log.warning("job %s killed: %s", self.ctx.job.id, error)
        return JobStatus.FAILED, None, error

    def _overdue(self, pid: int, waited: float) -> Outcome | None:
        if waited < self.limits.cancel_grace:
            return None
        kill_tree(pid)
        self.killed = True
        step = self.ctx.step or "unknown"
        log.warning(
            "job %s did not stop within %.0f s of the cancel (step %s); killed",
            self.ctx.job.id,
            self.limits.cancel_grace,
            step,
        )
        with contextlib.suppress(Exception):
            self.ctx.emit("killed", {"step": step, "grace_seconds": self.limits.cancel_grace})
        return JobStatus.CANCELLED, None, ""


def renew_lease(ctx: JobContext, lease_seconds: float) -> None:
    """One heartbeat: extend the lease; pass a cancel request or a lost lease to the job."""
    try:
        if ctx.store.heartbeat_job(ctx.job.id, ctx.worker_id, lease_seconds=lease_seconds):
            ctx.cancel_event.set()
    except LeaseLostError:
        ctx.lease_lost.set()
        ctx.cancel_event.set()
    except Exception:  # a database hiccup: try again at the next beat
        log.exception("heartbeat of job %s failed", ctx.job.id)
