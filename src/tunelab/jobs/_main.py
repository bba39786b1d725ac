"""Run a worker as a process: open the stores, stop cleanly on SIGTERM/SIGINT."""

import logging
import signal
import threading
from collections.abc import Mapping
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.jobs._worker import Handler, Worker
from tunelab.tracking import MetadataStore

log = logging.getLogger(__name__)


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
) -> int:
    """Work until SIGTERM/SIGINT (or ``stop``); a running job is cancelled cooperatively."""
    from tunelab.jobs._registry import default_handlers

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
        )
        log.info("worker %s taking %s", worker.worker_id, ", ".join(sorted(worker.handlers)))
        return worker.run(stop)
