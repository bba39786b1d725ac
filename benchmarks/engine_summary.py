"""Issue 17's targets from the engine benchmark's cell records (see ``engine_cells``).

Pure functions over plain dict records, so the page can be rebuilt from stored cells and
tested without running anything.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

CHAMPION, OPPONENT = "tunelab", "flaml"
RATIO_TARGETS = {60.0: 0.90}  # every other budget: DEFAULT_RATIO_TARGET
DEFAULT_RATIO_TARGET = 0.95
WIN_RATE_TARGET, WIN_RATE_BUDGET = 0.75, 60.0
MEMORY_BUDGET, PSS_MEDIAN_MB, PSS_MAX_MB = 60.0, 500.0, 1200.0
PREDICT_SECONDS = 2.0
ERROR_FLOOR = 1e-4
"""Test errors below this count as this in ratios: a perfect score (0) would make the ratio
0 or infinite, and below it the ratio measures a test row or two, not model quality."""


def error_ratio(champion: float, opponent: float) -> float:
    """tunelab's test error over FLAML's, both floored at ``ERROR_FLOOR`` (below 1: better)."""
    return max(champion, ERROR_FLOOR) / max(opponent, ERROR_FLOOR)


def ratio_target(budget: float) -> float:
    """The geometric-mean error ratio tunelab / FLAML the issue asks for at ``budget``."""
    return RATIO_TARGETS.get(budget, DEFAULT_RATIO_TARGET)


def command_limit(budget: float) -> float:
    """Most seconds the whole ``tunelab automl`` command may take: B x 1.05 + 2 s."""
    return budget * 1.05 + 2.0


def fit_limit(budget: float) -> float:
    """Most seconds ``AutoML.fit`` alone may take: B x 1.02."""
    return budget * 1.02


@dataclass(frozen=True)
class Pair:
    """tunelab and FLAML on the same dataset split, budget and seed (both scored)."""

    dataset: str
    budget: float
    seed: int
    champion: float
    opponent: float

    @property
    def ratio(self) -> float:
        """Test error of tunelab over FLAML's (below 1: tunelab better), see ``error_ratio``."""
        return error_ratio(self.champion, self.opponent)


def _ok(rec: dict[str, Any]) -> bool:
    return rec.get("status") == "ok" and rec.get("error_value") is not None


def pairs(records: list[dict[str, Any]]) -> list[Pair]:
    """Every (dataset, budget, seed) where both systems were scored."""
    by_key: dict[tuple[str, float, int], dict[str, float]] = defaultdict(dict)
    for rec in records:
        if _ok(rec):
            key = (rec["dataset"], float(rec["budget"]), int(rec["seed"]))
            by_key[key][rec["system"]] = float(rec["error_value"])
    return [
        Pair(d, b, s, errs[CHAMPION], errs[OPPONENT])
        for (d, b, s), errs in sorted(by_key.items())
        if CHAMPION in errs and OPPONENT in errs
    ]


def geo_mean(values: list[float]) -> float | None:
    """Geometric mean of positive values (None for none)."""
    finite = [v for v in values if v > 0 and math.isfinite(v)]
    if not finite:
        return None
    return math.exp(sum(math.log(v) for v in finite) / len(finite))


@dataclass(frozen=True)
class BudgetRow:
    """The comparison at one budget: per dataset the mean ratio over seeds."""

    budget: float
    n_datasets: int
    n_pairs: int
    geo_ratio: float | None
    win_rate: float | None
    seed_ratios: tuple[float, ...]  # geometric mean over datasets, per seed (the spread)


def budget_rows(all_pairs: list[Pair]) -> list[BudgetRow]:
    """Geometric mean ratio and win rate per budget; a dataset run with several seeds
    counts once (its ratios' geometric mean), and wins when that ratio is below 1."""
    rows = []
    for budget in sorted({p.budget for p in all_pairs}):
        here = [p for p in all_pairs if p.budget == budget]
        per_dataset: dict[str, list[float]] = defaultdict(list)
        per_seed: dict[int, list[float]] = defaultdict(list)
        for p in here:
            per_dataset[p.dataset].append(p.ratio)
            per_seed[p.seed].append(p.ratio)
        ratios = [geo_mean(v) for v in per_dataset.values()]
        valid = [r for r in ratios if r is not None]
        seeds = tuple(g for s in sorted(per_seed) if (g := geo_mean(per_seed[s])) is not None)
        rows.append(
            BudgetRow(
                budget,
                len(per_dataset),
                len(here),
                geo_mean(valid),
                sum(r < 1 for r in valid) / len(valid) if valid else None,
                seeds if len(seeds) > 1 else (),
            )
        )
    return rows


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, its measured value and whether it holds."""

    name: str
    target: str
    measured: str
    passed: bool | None  # None: not measured in this run


def _tunelab(records: list[dict[str, Any]], budget: float | None = None) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if r["system"] == CHAMPION and (budget is None or float(r["budget"]) == budget)
    ]


def _seconds(rec: dict[str, Any], *path: str) -> float | None:
    value: Any = rec
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, int | float) else None


def quality_monotone(records: list[dict[str, Any]], low: float, high: float) -> list[str]:
    """Datasets whose tunelab error at ``high`` s is worse than at ``low`` s by more than
    the seed-to-seed spread at ``low`` (the spread of one seed is taken as 0)."""
    worse = []
    for dataset in sorted({r["dataset"] for r in records}):
        at = {
            b: [
                float(r["error_value"])
                for r in _tunelab(records, b)
                if r["dataset"] == dataset and _ok(r)
            ]
            for b in (low, high)
        }
        if not at[low] or not at[high]:
            continue
        spread = max(at[low]) - min(at[low])
        if statistics.mean(at[high]) > max(at[low]) + spread:
            worse.append(dataset)
    return worse


def targets(records: list[dict[str, Any]]) -> list[Target]:
    """Every target of the issue that the records can speak to, each passed or not."""
    out: list[Target] = []
    rows = budget_rows(pairs(records))
    for row in rows:
        goal = ratio_target(row.budget)
        out.append(
            Target(
                f"error ratio vs FLAML at {row.budget:g} s (geometric mean)",
                f"<= {goal:.2f}",
                "-"
                if row.geo_ratio is None
                else f"{row.geo_ratio:.3f} ({row.n_datasets} datasets)",
                None if row.geo_ratio is None else row.geo_ratio <= goal,
            )
        )
    win = next((r for r in rows if r.budget == WIN_RATE_BUDGET), None)
    out.append(
        Target(
            f"win rate vs FLAML at {WIN_RATE_BUDGET:g} s",
            f">= {WIN_RATE_TARGET:.0%}",
            "-" if win is None or win.win_rate is None else f"{win.win_rate:.0%}",
            None if win is None or win.win_rate is None else win.win_rate >= WIN_RATE_TARGET,
        )
    )
    runs = [r for r in _tunelab(records) if _seconds(r, "automl", "wall_s") is not None]
    over = [r for r in runs if (_seconds(r, "automl", "wall_s") or 0) > command_limit(r["budget"])]
    out.append(
        Target(
            "whole `tunelab automl` command, start to exit",
            "<= B x 1.05 + 2 s, every run",
            f"{len(runs) - len(over)} of {len(runs)} within"
            + (f" (worst: {_worst(over)[-1]})" if over else ""),
            None if not runs else not over,
        )
    )
    fits = [r for r in runs if _seconds(r, "timings", "fit", "fit") is not None]
    fit_over = [
        r for r in fits if (_seconds(r, "timings", "fit", "fit") or 0) > fit_limit(r["budget"])
    ]
    out.append(
        Target(
            "`AutoML.fit` alone",
            "<= B x 1.02, every run",
            f"{len(fits) - len(fit_over)} of {len(fits)} within",
            None if not fits else not fit_over,
        )
    )
    peaks = [
        v
        for r in _tunelab(records, MEMORY_BUDGET)
        if (v := _seconds(r, "automl", "peak_pss_mb")) is not None
    ]
    med = statistics.median(peaks) if peaks else None
    top = max(peaks) if peaks else None
    out.append(
        Target(
            f"peak PSS of the process tree at {MEMORY_BUDGET:g} s",
            f"median <= {PSS_MEDIAN_MB:.0f} MB, max <= {PSS_MAX_MB:.0f} MB",
            "-" if med is None else f"median {med:.0f} MB, max {top:.0f} MB",
            None if med is None or top is None else med <= PSS_MEDIAN_MB and top <= PSS_MAX_MB,
        )
    )
    budgets = sorted({float(r["budget"]) for r in _tunelab(records)})
    if 60.0 in budgets and 300.0 in budgets:
        worse = quality_monotone(records, 60.0, 300.0)
        out.append(
            Target(
                "quality does not fall from 60 s to 300 s",
                "300 s not worse beyond the seed spread",
                "every dataset" if not worse else "worse on " + ", ".join(worse),
                not worse,
            )
        )
    else:
        out.append(Target("quality does not fall from 60 s to 300 s", "-", "not run", None))
    predicts = [v for r in runs if (v := _seconds(r, "predict", "wall_s")) is not None]
    out.append(
        Target(
            "`tunelab predict` of 2,000 rows, start to exit",
            f"<= {PREDICT_SECONDS:g} s",
            "-"
            if not predicts
            else f"median {statistics.median(predicts):.2f} s, max {max(predicts):.2f} s",
            None if not predicts else max(predicts) <= PREDICT_SECONDS,
        )
    )
    return out


def _worst(over: list[dict[str, Any]]) -> list[str]:
    return [
        f"{(_seconds(r, 'automl', 'wall_s') or 0):.1f} s at {r['budget']:g} s ({r['dataset']})"
        for r in sorted(over, key=lambda r: _seconds(r, "automl", "wall_s") or 0)
    ]
