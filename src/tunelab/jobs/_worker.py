"""The worker loop: claim a job under a lease, run its handler, heartbeat, honour cancels."""

import contextlib
import importlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import Job, JobStatus, LeaseLostError
from tunelab.jobs._context import JobContext
from tunelab.jobs._isolation import (
    Handler,
    JobLimits,
    JobProcess,
    Outcome,
    execute_handler,
    renew_lease,
)
from tunelab.tracking import MetadataStore

AbortHook = Callable[[JobContext, JobStatus, str], None]
log = logging.getLogger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Takes jobs of the kinds in ``handlers`` from the queue and runs them one at a time.

    While a handler runs, a monitor thread renews the lease every ``heartbeat_interval``
    seconds and sets ``JobContext.cancel_event`` as soon as a cancel is requested (or the
    lease was lost to another worker). A worker that dies simply stops renewing: once the
    lease expires, any other worker takes the job again. A worker asked to stop while a
    job runs interrupts the handler and gives the job back to the queue.

    With ``isolate`` (what ``tunelab worker`` and ``serve`` use) each job runs in a forked
    child process instead (see ``tunelab.jobs._isolation``): the worker kills it when it
    exceeds ``limits.memory_limit_mb`` or does not stop within ``limits.cancel_grace``
    seconds of a cancel, and then runs the kind's ``abort_hooks`` entry (which closes what
    the handler could not, e.g. the experiment of an AutoML job). ``heartbeat_file`` is
    touched while the worker is alive, for a supervisor to read. ``preload`` modules are
    imported before the first job is forked (later jobs' processes start with them loaded).
    """

    def __init__(
        self,
        store: MetadataStore,
        artifacts: ArtifactStore,
        handlers: Mapping[str, Handler],
        *,
        worker_id: str | None = None,
        lease_seconds: float = 30.0,
        heartbeat_interval: float = 1.0,
        poll_interval: float = 1.0,
        isolate: bool = False,
        limits: JobLimits | None = None,
        abort_hooks: Mapping[str, AbortHook] | None = None,
        heartbeat_file: Path | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.handlers = dict(handlers)
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds
        self.heartbeat_interval = heartbeat_interval
        self.poll_interval = poll_interval
        self.isolate = isolate
        self.limits = limits or JobLimits()
        self.abort_hooks = dict(abort_hooks or {})
        self.heartbeat_file = heartbeat_file
        self.preload = preload
        self._stop = threading.Event()

    def beat(self) -> None:
        """Touch the heartbeat file (a supervisor reads its age)."""
        if self.heartbeat_file is not None:
            with contextlib.suppress(OSError):
                self.heartbeat_file.touch()

    def run(self, stop: threading.Event | None = None, *, max_jobs: int | None = None) -> int:
        """Work until ``stop`` is set (or ``max_jobs`` ran); returns the number of jobs run."""
        stop = self._stop = stop or threading.Event()
        done = 0
        while not stop.is_set() and (max_jobs is None or done < max_jobs):
            self.beat()
            job = self.run_once()
            if job is None:
                stop.wait(self.poll_interval)
            else:
                done += 1
        return done

    def run_once(self) -> Job | None:
        """Claim and run one job; None when the queue had nothing for this worker."""
        job = self.store.claim_next_job(
            self.worker_id, lease_seconds=self.lease_seconds, kinds=sorted(self.handlers)
        )
        if job is None:
            return None
        ctx = JobContext(job, self.store, self.artifacts, self.worker_id)
        if self.isolate:
            self._preload(ctx)
            warm, ctx = ctx, JobProcess.context(ctx)
            for flag in ("cancel_event", "lease_lost", "released"):  # set while preloading
                if getattr(warm, flag).is_set():
                    getattr(ctx, flag).set()
            process = JobProcess(
                ctx,
                self.handlers[job.kind],
                limits=self.limits,
                heartbeat=lambda c: renew_lease(c, self.lease_seconds),
                should_release=self._stop.is_set,
                beat=self.beat,
                heartbeat_interval=self.heartbeat_interval,
            )
            status, result, error = process.run()
            if process.killed and not (ctx.lease_lost.is_set() or ctx.released.is_set()):
                self._abort(ctx, status, error)
        else:
            status, result, error = self._run_in_thread(ctx)
        if ctx.lease_lost.is_set():
            log.warning("job %s was taken over by another worker; result dropped", job.id)
            return self.store.get_job(job.id)
        try:
            if ctx.released.is_set():
                return self.store.release_job(job.id, self.worker_id)
            return self.store.finish_job(
                job.id, self.worker_id, status, result=result, error=error
            )
        except LeaseLostError:
            log.warning("job %s lease lost while finishing", job.id)
            return self.store.get_job(job.id)

    def _preload(self, ctx: JobContext) -> None:
        """Import ``preload`` once, so the processes of this job and the next start warm;
        a thread keeps the lease meanwhile (and has ended before the job is forked)."""
        if not self.preload:
            return
        imported = threading.Event()
        monitor = threading.Thread(target=self._monitor, args=(ctx, imported), daemon=True)
        monitor.start()
        try:
            for module in self.preload:
                importlib.import_module(module)
        finally:
            self.preload = ()
            imported.set()
            monitor.join()

    def _run_in_thread(self, ctx: JobContext) -> Outcome:
        """The handler in this thread, with a monitor thread renewing the lease."""
        finished = threading.Event()
        monitor = threading.Thread(
            target=self._monitor, args=(ctx, finished), name=f"lease-{ctx.job.id}", daemon=True
        )
        monitor.start()
        try:
            return execute_handler(self.handlers[ctx.job.kind], ctx)
        finally:
            finished.set()
            monitor.join()

    def _abort(self, ctx: JobContext, status: JobStatus, error: str) -> None:
        """The job's process was killed (or died): let its kind close what it left open."""
        hook = self.abort_hooks.get(ctx.job.kind)
        if hook is None:
            return
        try:
            hook(ctx, status, error)
        except Exception:
            log.exception("cleaning up after job %s failed", ctx.job.id)

    def _monitor(self, ctx: JobContext, finished: threading.Event) -> None:
        while not finished.wait(self.heartbeat_interval):
            self.beat()
            if self._stop.is_set() and not ctx.released.is_set():
                ctx.released.set()
                ctx.cancel_event.set()
            renew_lease(ctx, self.lease_seconds)
            if ctx.lease_lost.is_set():
                return
