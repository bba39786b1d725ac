"""What a job handler gets: its job, the stores, progress events and the cancel flag."""

import threading
from dataclasses import dataclass, field
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import Job
from tunelab.tracking import MetadataStore


class JobCancelledError(TunelabError):
    """Raised inside a handler (by ``JobContext.check_cancelled``) once a stop was asked."""


@dataclass
class JobContext:
    """Handed to a job handler. Long handlers call ``check_cancelled()`` often (< 1 s apart)."""

    job: Job
    store: MetadataStore
    artifacts: ArtifactStore
    worker_id: str
    cancel_event: threading.Event = field(default_factory=threading.Event)
    lease_lost: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            reason = "stop requested"
            if self.lease_lost.is_set():
                reason = "its worker lost the lease"
            elif self.released.is_set():
                reason = "its worker is shutting down; it will be taken up again"
            raise JobCancelledError(f"job {self.job.id} cancelled: {reason}")

    def emit(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Record a progress event (a row any UI can stream)."""
        self.store.add_job_event(self.job.id, kind, {"worker": self.worker_id, **(data or {})})

    def require(self, key: str) -> Any:
        """A payload field; a clear error names it when it is missing."""
        if key not in self.job.payload:
            raise TunelabError(f"job {self.job.id} ({self.job.kind}): payload lacks {key!r}")
        return self.job.payload[key]
