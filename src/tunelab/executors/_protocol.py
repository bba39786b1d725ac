"""The executor seam: a call with a timeout and resources in, how it ended out."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Resources:
    """What one call may use: threads (CPUs), GPUs (fractions allowed: a share of one, as
    Ray schedules them), and a memory cap in MB (None: no cap)."""

    cpus: int = 1
    gpus: float = 0
    memory_mb: float | None = None


@dataclass(frozen=True)
class Call:
    """A function call to run: ``fn(*args)``, killed ``timeout`` seconds after it starts.

    ``key`` is the caller's name for the call, unique among its running calls. ``fn`` must
    be a module-level function so that any executor can ship it to another process.
    """

    key: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    timeout: float = float("inf")
    resources: Resources = Resources()


class EndState(StrEnum):
    """How a call ended."""

    RETURNED = "returned"  # ``value`` holds what the function returned
    ERROR = "error"  # it raised, or its value could not be sent back (``reason``)
    TIMED_OUT = "timed_out"  # killed at its deadline
    KILLED = "killed"  # killed on request (``kill_all``)
    DIED = "died"  # its process ended without an answer
    OUT_OF_MEMORY = "out_of_memory"  # killed over its memory cap


@dataclass
class CallEnd:
    """The end of one call: its state, value (if returned), seconds run and where it ran."""

    key: int
    state: EndState
    value: Any = None
    elapsed: float = 0.0
    reason: str = ""
    host: str = ""
    node_id: str = ""  # the cluster node it ran on ("local" for this machine's processes)


@runtime_checkable
class TrialExecutor(Protocol):
    """Runs calls concurrently, each with a hard deadline.

    ``wait`` returns calls that ended (at most after ``timeout`` seconds); a call is
    reported exactly once, by ``wait`` or ``kill_all``. Deadlines are ``time.monotonic()``
    instants of the submitting process.
    """

    @property
    def n_running(self) -> int:
        """Calls submitted and not yet reported."""
        ...

    def capacity(self) -> int:
        """How many more calls can start now."""
        ...

    def submit(self, call: Call) -> None:
        """Start ``call`` now; it is killed after ``call.timeout`` seconds."""
        ...

    def wait(self, timeout: float) -> list[CallEnd]:
        """Wait up to ``timeout`` seconds for calls to end; return those that ended."""
        ...

    def cap_deadlines(self, at: float, reason: str) -> None:
        """Kill running calls at ``at`` at the latest; those cut short end with ``reason``."""
        ...

    def kill_all(self, reason: str) -> list[CallEnd]:
        """Kill every running call; each ends as KILLED with ``reason``."""
        ...

    def shutdown(self) -> None:
        """Kill what still runs and release the executor's resources."""
        ...
