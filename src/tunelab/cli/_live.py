"""Rich live view of a running AutoML search: progress bar plus the current top 5."""

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tunelab.entities import TrialRecord, TrialStatus


class LiveSearchView:
    """A search callback that renders progress and the top-5 trials in the terminal."""

    def __init__(
        self,
        console: Console,
        *,
        time_budget: float | None,
        max_trials: int | None,
        greater_is_better: bool,
    ) -> None:
        self.console = console
        self.greater = greater_is_better
        self.records: list[TrialRecord] = []
        self.running: dict[int, str] = {}
        self.progress = Progress(
            TextColumn("[bold]search"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
        )
        total = time_budget if time_budget is not None else float(max_trials or 1)
        self.by_time = time_budget is not None
        self.task_id = self.progress.add_task("starting", total=total)
        self.started = time.monotonic()
        self.live = Live(self._render(), console=console, refresh_per_second=4)

    def __enter__(self) -> "LiveSearchView":
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.update(self._render())
        self.live.__exit__(*exc)

    def _ranked(self) -> list[TrialRecord]:
        ok = [r for r in self.records if r.status is TrialStatus.OK and r.score is not None]
        return sorted(ok, key=lambda r: -(r.score or 0.0) if self.greater else (r.score or 0.0))

    def _render(self) -> Group:
        table = Table(title="top 5", expand=False)
        for name in ("#", "trial", "family", "score", "± std", "fit s"):
            table.add_column(name)
        for rank, r in enumerate(self._ranked()[:5], start=1):
            table.add_row(
                str(rank),
                str(r.number),
                r.family,
                f"{r.score:.5f}",
                f"{r.score_std or 0:.4f}",
                f"{r.fit_time:.1f}",
            )
        done = len(self.records)
        failed = sum(r.status is not TrialStatus.OK for r in self.records)
        running = ", ".join(self.running.values()) or "-"
        self.progress.update(
            self.task_id,
            completed=(time.monotonic() - self.started) if self.by_time else done,
            description=f"{done} trials ({failed} not ok) · running: {running}",
        )
        return Group(self.progress, table)

    def on_trial_start(self, info: dict[str, Any]) -> None:
        self.running[int(info["number"])] = str(info["family"])
        self.live.update(self._render())

    def on_trial_end(self, record: TrialRecord) -> None:
        self.running.pop(record.number, None)
        self.records.append(record)
        self.live.update(self._render())
