"""A Rich live line for a running experiment: trials by state and the best so far."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from tunelab.katib.results import (
    EARLY_STOPPED,
    FAILED,
    KILLED,
    METRICS_UNAVAILABLE,
    SUCCEEDED,
)
from tunelab.katib.runner import Snapshot


def render_snapshot(snap: Snapshot) -> Text:
    counts = Counter(t.condition for t in snap.finished)
    total = f"/{snap.max_trials}" if snap.max_trials else ""
    text = Text()
    text.append(f"{snap.name} ", style="bold")
    text.append(f"trials {len(snap.finished)}{total}  ")
    text.append(f"running {snap.running}  ", style="cyan")
    text.append(f"succeeded {counts[SUCCEEDED]}  ", style="green")
    failed = counts[FAILED] + counts[METRICS_UNAVAILABLE]
    text.append(f"failed {failed}  ", style="red" if failed else "")
    if counts[KILLED] or counts[EARLY_STOPPED]:
        text.append(f"killed {counts[KILLED]}  early-stopped {counts[EARLY_STOPPED]}  ")
    if snap.best_value is not None:
        text.append(f"best {snap.best_value:.6g} ({snap.best_trial})", style="bold green")
    return text


class LiveProgress:
    """Context manager; pass :meth:`update` as the runner's progress callback."""

    def __init__(self, console: Console) -> None:
        self.live = Live(Text("starting…"), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.live.__exit__(exc_type, exc, tb)

    def update(self, snap: Snapshot) -> None:
        self.live.update(render_snapshot(snap))
