"""Render a benchmark run as a Markdown page (its JSON twin holds the raw records)."""

from __future__ import annotations

from typing import Any

from benchmarks.records import RunRecord
from benchmarks.summary import (
    Comparison,
    DatasetRow,
    compare,
    criteria,
    dataset_rows,
    system_stats,
)


def table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A pipe table; ``align`` has one char per column, ``r`` for right-aligned."""
    align = align.ljust(len(header), "l")
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    return "\n".join(lines)


def fmt(value: float | None, digits: int = 4) -> str:
    """A number for a table cell; ``FAILED`` stands for a missing score."""
    return "FAILED" if value is None else f"{value:.{digits}f}"


def _opt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def scores_section(rows: list[DatasetRow], systems: list[str]) -> str:
    """Per dataset: primary score of every system (winner in bold) and the winner."""
    body = []
    for row in rows:
        cells = []
        for system in systems:
            if system not in row.scores:
                cells.append("-")
                continue
            text = fmt(row.scores[system])
            cells.append(f"**{text}**" if system == row.winner else text)
        body.append(
            [row.dataset, row.task, f"{row.rows:,}", row.metric, *cells, row.winner or "-"]
        )
    header = ["dataset", "task", "rows", "metric", *systems, "winner"]
    return table(header, body, "llrl" + "r" * len(systems) + "l")


def runs_section(records: list[RunRecord]) -> str:
    """Every run: status, fit time against the budget, end-to-end time, peak memory."""
    body = []
    for r in sorted(records, key=lambda r: (r.rows, r.dataset, r.system, r.seed)):
        extra = ", ".join(f"{k} {v:.4f}" for k, v in sorted(r.scores.items()) if k != r.metric)
        body.append(
            [
                r.dataset,
                r.system,
                str(r.seed),
                r.status,
                fmt(r.score),
                extra or "-",
                _opt(r.fit_seconds, ".1f"),
                _opt(r.budget, ".0f"),
                _opt(r.overrun_pct, "+.1f"),
                _opt(r.wall_seconds, ".1f"),
                _opt(r.peak_mb, ".0f"),
            ]
        )
    header = [
        "dataset",
        "system",
        "seed",
        "status",
        "score",
        "other metrics",
        "fit s",
        "budget s",
        "overrun %",
        "wall s",
        "peak MB",
    ]
    return table(header, body, "lllrrlrrrrr")


def summary_section(
    rows: list[DatasetRow],
    records: list[RunRecord],
    systems: list[str],
    champion: str,
    help_s: float | None,
) -> str:
    """Win rates of the champion, per-system totals, and issue 2's criteria if tunelab ran."""
    parts = []
    comparisons: list[Comparison] = [compare(rows, champion, s) for s in systems if s != champion]
    if comparisons:
        parts.append(
            table(
                ["champion", "opponent", "wins", "ties", "losses", "win rate"],
                [
                    [
                        champion,
                        c.opponent,
                        str(c.wins),
                        str(c.ties),
                        str(c.losses),
                        f"{c.win_rate:.0%}",
                    ]
                    for c in comparisons
                ],
                "llrrrr",
            )
        )
    stats = {s: system_stats(records, s) for s in systems}
    parts.append(
        table(
            [
                "system",
                "runs",
                "failures",
                "max overrun %",
                "max wall s",
                "max peak MB",
                "min predict rows/s",
            ],
            [
                [
                    s,
                    str(v["runs"]),
                    str(v["failures"]),
                    _opt(v["max_overrun_pct"], "+.1f"),
                    _opt(v["max_wall_seconds"], ".1f"),
                    _opt(v["max_peak_mb"], ".0f"),
                    _opt(v["min_rows_per_s"], ",.0f"),
                ]
                for s, v in stats.items()
            ],
            "lrrrrrr",
        )
    )
    if champion == "tunelab" and "tunelab" in stats:
        checks = criteria(comparisons, stats["tunelab"], help_s)
        verdict = {True: "pass", False: "**FAIL**", None: "not measured"}
        parts.append(
            "Issue 2 performance criteria (tunelab):\n\n"
            + table(
                ["criterion", "target", "measured", "verdict"],
                [[c, t, m, verdict[ok]] for c, t, m, ok in checks],
            )
        )
    return "\n\n".join(parts)


def failures_section(records: list[RunRecord]) -> str:
    """The error tail of every failed run (never hidden)."""
    failed = [r for r in records if not r.ok]
    if not failed:
        return "None."
    return "\n\n".join(
        f"- **{r.system}** on **{r.dataset}** (seed {r.seed}, {r.status}):\n\n"
        + "```text\n"
        + (r.error or "no error text").strip()[-1500:]
        + "\n```"
        for r in failed
    )


def best_single_section(records: list[RunRecord]) -> str:
    """Per run: the best single model, its batch speed, how it was chosen and refitted."""
    rows = []
    for r in records:
        single = r.extras.get("best_single")
        if not isinstance(single, dict):
            continue
        chosen, best = single.get("chosen_cv_score"), single.get("best_cv_score")
        rows.append(
            [
                r.dataset,
                str(single.get("family", "?")),
                _opt(single.get("rows_per_s"), ",.0f"),
                _opt(chosen, ".4f"),
                _opt(best, ".4f"),
                str(single.get("choice") or "-"),
                str(single.get("refit") or "-"),
            ]
        )
    if not rows:
        return "No best-single-model records."
    return table(
        [
            "dataset",
            "family",
            "rows/s",
            "its CV score",
            "best trial's CV score",
            "choice (infer_limit)",
            "refit",
        ],
        rows,
    )


def render(meta: dict[str, Any], records: list[RunRecord], systems: list[str]) -> str:
    """The whole results page."""
    champion = meta.get("champion") or systems[0]
    rows = dataset_rows(records, systems)
    help_info = meta.get("help") or {}
    help_s = help_info.get("median_s") if isinstance(help_info, dict) else None
    machine = meta.get("machine", {})
    lines = [
        f"# {meta.get('title', 'Benchmark results')}",
        "",
        f"- Command: `{meta.get('command', '?')}`",
        f"- Date: {meta.get('started', '?')} to {meta.get('finished', '?')}",
        f"- Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} logical cores, "
        f"{machine.get('ram_gib', '?')} GiB RAM, {machine.get('os', '?')}, "
        f"Python {machine.get('python', '?')}",
        f"- Budget: {meta.get('budget')} s per AutoML fit, n_jobs={meta.get('n_jobs')}, "
        f"seeds {meta.get('seeds')}; 80/20 split (stratified for classification), one per "
        "dataset and seed, shared by all systems",
        f"- Load average (1/5/15 min) at start {meta.get('load_start')}, "
        f"at end {meta.get('load_end')}",
        f"- Library versions: {meta.get('versions_text', '-')}",
    ]
    if help_s is not None:
        lines.append(f"- `tunelab --help`: {help_s:.3f} s (median of 5, {help_info.get('tool')})")
    elif isinstance(help_info, dict) and help_info.get("error"):
        lines.append(f"- `tunelab --help`: FAILED: {str(help_info['error'])[-300:]}")
    if meta.get("reused"):
        lines.append(f"- Reused earlier results: {meta['reused']}")
    if meta.get("note"):
        lines += ["", f"> {meta['note']}"]
    lines += [
        "",
        "Metric: binary ROC AUC (higher is better), multiclass log loss (lower is better), "
        "regression RMSE (lower is better); each system is told to optimise it. All "
        "predictions are scored by the harness itself. Winner in bold.",
        "",
        "## Summary",
        "",
        summary_section(rows, records, systems, champion, help_s),
        "",
        "## Test score per dataset",
        "",
        scores_section(rows, systems),
        "",
        "## Every run",
        "",
        runs_section(records),
        "",
        "## Best single model (batch prediction, 50k rows)",
        "",
        best_single_section(records),
        "",
        "## Failures",
        "",
        failures_section(records),
        "",
    ]
    return "\n".join(lines)
