"""From raw run records to per-dataset winners, win rates and the issue's criteria."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from benchmarks.metrics import is_better
from benchmarks.records import RunRecord

# Issue 2, "Performance": the figures tunelab must reach at a 60 s budget.
TARGET_WIN_RATE = {"lightgbm_default": 0.80, "flaml": 0.60}
MAX_OVERRUN_PCT = 10.0
MAX_PEAK_MB = 4096.0
MIN_ROWS_PER_S = 50_000.0
MAX_HELP_S = 0.5


@dataclass
class DatasetRow:
    """One dataset: each system's mean score over seeds (None if any seed failed)."""

    dataset: str
    task: str
    metric: str
    rows: int
    scores: dict[str, float | None] = field(default_factory=dict)
    winner: str | None = None


@dataclass
class Comparison:
    """Champion against one opponent over the datasets both ran."""

    opponent: str
    wins: int = 0
    ties: int = 0
    losses: int = 0

    @property
    def n(self) -> int:
        """Datasets compared."""
        return self.wins + self.ties + self.losses

    @property
    def win_rate(self) -> float:
        """Share of compared datasets won outright (ties are not wins)."""
        return self.wins / self.n if self.n else 0.0


def dataset_rows(records: list[RunRecord], systems: list[str]) -> list[DatasetRow]:
    """Per dataset, the mean primary score per system and the best system."""
    grouped: dict[str, list[RunRecord]] = defaultdict(list)
    for rec in records:
        grouped[rec.dataset].append(rec)
    rows = []
    for name, recs in grouped.items():
        first = recs[0]
        row = DatasetRow(name, first.task, first.metric, first.rows)
        for system in systems:
            runs = [r for r in recs if r.system == system]
            if not runs:
                continue
            ok = [r.score for r in runs if r.ok and r.score is not None]
            row.scores[system] = statistics.fmean(ok) if ok and len(ok) == len(runs) else None
        scored = [(s, v) for s, v in row.scores.items() if v is not None]
        for system, value in scored:
            best = row.scores.get(row.winner) if row.winner else None
            if best is None or is_better(value, best, row.task):
                row.winner = system
        rows.append(row)
    return sorted(rows, key=lambda r: (r.rows, r.dataset))


def compare(rows: list[DatasetRow], champion: str, opponent: str) -> Comparison:
    """Wins/ties/losses of ``champion``; a failed run loses to a finished one.

    Datasets where both failed count as losses for the champion (the issue wants zero
    failed runs); datasets that one of the two did not attempt are skipped.
    """
    result = Comparison(opponent)
    for row in rows:
        if champion not in row.scores or opponent not in row.scores:
            continue
        mine, theirs = row.scores[champion], row.scores[opponent]
        if mine is None:
            result.losses += 1
        elif theirs is None or is_better(mine, theirs, row.task):
            result.wins += 1
        elif is_better(theirs, mine, row.task):
            result.losses += 1
        else:
            result.ties += 1
    return result


def system_stats(records: list[RunRecord], system: str) -> dict[str, Any]:
    """Runs, failures, worst overrun, peak memory and wall time of one system."""
    recs = [r for r in records if r.system == system]
    overruns = [r.overrun_pct for r in recs if r.overrun_pct is not None]
    peaks = [r.peak_mb for r in recs if r.peak_mb is not None]
    walls = [r.wall_seconds for r in recs if r.wall_seconds is not None]
    rates = _rates(recs, "throughput")
    single_rates = _rates(recs, "best_single")
    return {
        "runs": len(recs),
        "failures": sum(1 for r in recs if not r.ok),
        "max_overrun_pct": max(overruns) if overruns else None,
        "max_peak_mb": max(peaks) if peaks else None,
        "max_wall_seconds": max(walls) if walls else None,
        "min_rows_per_s": min(rates) if rates else None,
        "min_best_single_rows_per_s": min(single_rates) if single_rates else None,
    }


def _rates(recs: list[RunRecord], key: str) -> list[float]:
    """Rows/s figures recorded under ``extras[key]`` (saved bundle, or best single model)."""
    return [
        float(r.extras[key]["rows_per_s"]) for r in recs if isinstance(r.extras.get(key), dict)
    ]


def criteria(
    comparisons: list[Comparison], stats: dict[str, Any], help_s: float | None
) -> list[tuple[str, str, str, bool | None]]:
    """Issue 2's performance criteria: (criterion, target, measured, passed or None)."""
    checks: list[tuple[str, str, str, bool | None]] = []
    for comp in comparisons:
        target = TARGET_WIN_RATE.get(comp.opponent)
        if target is not None:
            checks.append(
                (
                    f"win rate vs {comp.opponent}",
                    f">= {target:.0%}",
                    f"{comp.win_rate:.0%} ({comp.wins}/{comp.n})",
                    comp.win_rate >= target if comp.n else None,
                )
            )

    def check(name: str, target: str, value: float | None, fmt: str, ok: bool) -> None:
        shown = "n/a" if value is None else format(value, fmt)
        checks.append((name, target, shown, None if value is None else ok))

    over = stats.get("max_overrun_pct")
    ok_over = over is not None and over <= MAX_OVERRUN_PCT
    check("max fit-time overrun (%)", "<= +10", over, "+.1f", ok_over)
    fails = stats.get("failures")
    check("failed runs", "0", fails, "d", fails == 0)
    peak = stats.get("max_peak_mb")
    check("peak memory (MB)", "< 4096", peak, ".0f", peak is not None and peak < MAX_PEAK_MB)
    rate = stats.get("min_best_single_rows_per_s")
    check(
        "batch predict, best single model (rows/s, min)",
        ">= 50000",
        rate,
        ",.0f",
        rate is not None and rate >= MIN_ROWS_PER_S,
    )
    bundle_rate = stats.get("min_rows_per_s")
    check(
        "batch predict, saved final model (rows/s, min; informational)",
        "-",
        bundle_rate,
        ",.0f",
        True,
    )
    check("`tunelab --help` (s)", "< 0.5", help_s, ".3f", help_s is not None and help_s < 0.5)
    return checks
