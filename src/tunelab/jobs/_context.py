"""What a job handler gets: its job, the stores, progress events and the cancel flag."""

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from tunelab.artifacts import ArtifactStore
from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import Job
from tunelab.tracking import MetadataStore


class JobCancelledError(TunelabError):
    """Raised inside a handler (by ``JobContext.check_cancelled``) once a stop was asked."""


class Flag(Protocol):
    """A ``threading.Event`` or, when the job runs in a child process, a ``multiprocessing``
    one the worker shares with it."""

    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class JobContext:
    """Handed to a job handler. Long handlers call ``check_cancelled()`` often (< 1 s apart)."""

    job: Job
    store: MetadataStore
    artifacts: ArtifactStore
    worker_id: str
    cancel_event: Flag = field(default_factory=threading.Event)
    lease_lost: Flag = field(default_factory=threading.Event)
    released: Flag = field(default_factory=threading.Event)
    step_box: Any = None  # a shared ``multiprocessing.Array("c")`` when the job runs in a child
    _step: str = field(default="", repr=False)

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

    @property
    def step(self) -> str:
        """The step the job is in (``reading``, ``profiling``, ``search``...), or ''."""
        if self.step_box is not None:
            return bytes(self.step_box.value).decode(errors="replace")
        return self._step

    def set_step(self, name: str) -> None:
        """Name the step the job enters (a memory or time limit reports it); no event."""
        self._step = name
        if self.step_box is not None:
            self.step_box.value = name.encode()[: len(self.step_box) - 1]

    def emit(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Record a progress event (a row any UI can stream); a ``step`` in a ``progress``
        event also becomes the job's current step."""
        if kind == "progress" and data and "step" in data:
            self.set_step(str(data["step"]))
        self.store.add_job_event(self.job.id, kind, {"worker": self.worker_id, **(data or {})})

    def require(self, key: str) -> Any:
        """A payload field; a clear error names it when it is missing."""
        if key not in self.job.payload:
            raise TunelabError(f"job {self.job.id} ({self.job.kind}): payload lacks {key!r}")
        return self.job.payload[key]
