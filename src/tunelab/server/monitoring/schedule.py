"""The alert schedule: a thread that queues a ``monitor`` job every interval while enabled
alert rules exist and no such job is waiting or running."""

import logging
import threading

from tunelab.entities.platform import JobKind, JobStatus
from tunelab.server.config import ServerSettings
from tunelab.tracking import MetadataStore

log = logging.getLogger(__name__)


def monitor_payload(
    settings: ServerSettings, deployment_id: str | None = None
) -> dict[str, object]:
    payload: dict[str, object] = {"allow_private_webhooks": settings.webhook_allow_private}
    if deployment_id is not None:
        payload["deployment_id"] = deployment_id
    return payload


def enqueue_due(store: MetadataStore, settings: ServerSettings) -> str | None:
    """Queue a monitor job for every rule unless one is pending; its id, or None."""
    if not any(rule["enabled"] for rule in store.list_alert_rules()):
        return None
    for status in (JobStatus.QUEUED, JobStatus.RUNNING):
        if store.list_jobs(status=status, kind=JobKind.MONITOR.value, limit=1):
            return None
    return store.enqueue_job(JobKind.MONITOR, monitor_payload(settings), max_attempts=1).id


class MonitorSchedule:
    def __init__(self, store: MetadataStore, settings: ServerSettings) -> None:
        self.store, self.settings = store, settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings.monitor_interval_seconds <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="monitor-schedule", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.monitor_interval_seconds):
            try:
                enqueue_due(self.store, self.settings)
            except Exception:  # a database hiccup: try again next interval
                log.warning("could not queue the monitor job", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
