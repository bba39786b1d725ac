"""The worker loop: claim a job under a lease, run its handler, heartbeat, honour cancels."""

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import Job, JobStatus, LeaseLostError
from tunelab.jobs._context import JobCancelledError, JobContext
from tunelab.tracking import MetadataStore

Handler = Callable[[JobContext], dict[str, Any] | None]
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
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.handlers = dict(handlers)
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds
        self.heartbeat_interval = heartbeat_interval
        self.poll_interval = poll_interval
        self._stop = threading.Event()

    def run(self, stop: threading.Event | None = None, *, max_jobs: int | None = None) -> int:
        """Work until ``stop`` is set (or ``max_jobs`` ran); returns the number of jobs run."""
        stop = self._stop = stop or threading.Event()
        done = 0
        while not stop.is_set() and (max_jobs is None or done < max_jobs):
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
        finished = threading.Event()
        monitor = threading.Thread(
            target=self._monitor, args=(ctx, finished), name=f"lease-{job.id}", daemon=True
        )
        monitor.start()
        try:
            status, result, error = self._execute(ctx)
        finally:
            finished.set()
            monitor.join()
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

    def _execute(self, ctx: JobContext) -> tuple[JobStatus, dict[str, Any] | None, str]:
        handler = self.handlers[ctx.job.kind]
        try:
            result = handler(ctx)
        except JobCancelledError:
            return JobStatus.CANCELLED, None, ""
        except Exception as exc:
            log.debug("job %s failed:\n%s", ctx.job.id, traceback.format_exc())
            return JobStatus.FAILED, None, f"{type(exc).__name__}: {exc}"
        if ctx.cancelled:  # stopped early; whatever it kept (e.g. the best model) is recorded
            return JobStatus.CANCELLED, result, ""
        return JobStatus.SUCCEEDED, result or {}, ""

    def _monitor(self, ctx: JobContext, finished: threading.Event) -> None:
        while not finished.wait(self.heartbeat_interval):
            if self._stop.is_set() and not ctx.released.is_set():
                ctx.released.set()
                ctx.cancel_event.set()
            try:
                if self.store.heartbeat_job(
                    ctx.job.id, self.worker_id, lease_seconds=self.lease_seconds
                ):
                    ctx.cancel_event.set()
            except LeaseLostError:
                ctx.lease_lost.set()
                ctx.cancel_event.set()
                return
            except Exception:  # a database hiccup: try again at the next beat
                log.exception("heartbeat of job %s failed", ctx.job.id)
