"""Run a worker as a process: open the stores, stop cleanly on SIGTERM/SIGINT."""

import logging
import os
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.jobs._isolation import JobLimits
from tunelab.jobs._worker import Handler, Worker
from tunelab.tracking import MetadataStore

log = logging.getLogger(__name__)

# Imported by the worker before it forks its first job, so every later job's process starts
# with them loaded (the worker never fits a model: no thread pool is started before a fork).
PRELOAD = ("tunelab.automl", "tunelab.bundles", "tunelab.data", "tunelab.evaluation")


def run_worker(
    db_url: str,
    artifacts_url: str,
    *,
    storage_options: dict[str, Any] | None = None,
    handlers: Mapping[str, Handler] | None = None,
    lease_seconds: float = 30.0,
    heartbeat_interval: float = 1.0,
    poll_interval: float = 1.0,
    worker_id: str | None = None,
    stop: threading.Event | None = None,
    memory_limit_mb: float | None = None,
    cancel_grace: float = 15.0,
    heartbeat_file: Path | None = None,
    preload: tuple[str, ...] | None = None,
) -> int:
    """Work until SIGTERM/SIGINT (or ``stop``); a running job is cancelled cooperatively.

    Each job runs in its own child process, killed when it uses more than
    ``memory_limit_mb`` (its whole process tree) or does not stop within ``cancel_grace``
    seconds of a cancel. ``preload``: modules imported before the first job's fork (default:
    the ML stack, when the default handlers are used).
    """
    from tunelab.jobs._registry import default_abort_hooks, default_handlers

    if preload is None:
        preload = PRELOAD if handlers is None else ()
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    with MetadataStore(db_url) as store:
        worker = Worker(
            store,
            ArtifactStore(artifacts_url, storage_options),
            handlers if handlers is not None else default_handlers(),
            worker_id=worker_id,
            lease_seconds=lease_seconds,
            heartbeat_interval=heartbeat_interval,
            poll_interval=poll_interval,
            isolate=True,
            limits=JobLimits(memory_limit_mb=memory_limit_mb, cancel_grace=cancel_grace),
            abort_hooks=default_abort_hooks(),
            heartbeat_file=heartbeat_file,
            preload=preload,
        )
        limit = f"{memory_limit_mb:.0f} MB" if memory_limit_mb else "no"
        log.info(
            "worker %s (pid %d) taking %s; %s memory limit per job",
            worker.worker_id,
            os.getpid(),
            ", ".join(sorted(worker.handlers)),
            limit,
        )
        return worker.run(stop)
