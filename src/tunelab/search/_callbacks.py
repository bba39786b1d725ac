"""Progress hooks of a search (used by the CLI's progress bar and the platform's events)."""

from typing import Any, Protocol

from tunelab.entities import TrialRecord


class SearchCallback(Protocol):
    """Any subset of these methods may be implemented; missing ones are skipped."""

    def on_trial_start(self, info: dict[str, Any]) -> None: ...

    def on_trial_end(self, record: TrialRecord) -> None: ...

    def on_best(self, record: TrialRecord) -> None: ...

    def on_trial_restored(self, record: TrialRecord) -> None:
        """A finished trial a resumed search restored from its checkpoint (not rerun)."""


class CallbackList:
    """Calls a hook on every callback that defines it."""

    def __init__(self, callbacks: tuple[Any, ...] | list[Any] = ()) -> None:
        self.callbacks = list(callbacks)

    def emit(self, hook: str, payload: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(payload)
