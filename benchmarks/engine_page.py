"""The engine benchmark's Markdown page (and its plot) from stored cell records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.engine_summary import (
    CHAMPION,
    ERROR_FLOOR,
    OPPONENT,
    budget_rows,
    command_limit,
    error_ratio,
    pairs,
    ratio_target,
    targets,
)


def _fmt(value: Any, spec: str = ".1f", unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:{spec}}{unit}"


def _get(rec: dict[str, Any] | None, *path: str) -> Any:
    value: Any = rec
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def plot_ratios(records: list[dict[str, Any]], path: Path) -> Path | None:
    """Error ratio tunelab / FLAML vs budget: one thin line per dataset, the geometric
    mean in bold; None when matplotlib is missing or nothing is paired."""
    all_pairs = pairs(records)
    if not all_pairs:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for dataset in sorted({p.dataset for p in all_pairs}):
        mine = sorted((p.budget, p.ratio) for p in all_pairs if p.dataset == dataset)
        ax.plot([b for b, _ in mine], [r for _, r in mine], "o-", lw=0.8, ms=3, alpha=0.5)
    rows = [r for r in budget_rows(all_pairs) if r.geo_ratio is not None]
    ax.plot(
        [r.budget for r in rows],
        [r.geo_ratio or 0.0 for r in rows],
        "ks-",
        lw=2.2,
        label="geometric mean",
    )
    budgets = [r.budget for r in rows]
    ax.plot(budgets, [ratio_target(b) for b in budgets], "r_--", lw=1, ms=24, label="target")
    ax.axhline(1.0, color="grey", lw=0.8)
    if len(set(budgets)) > 1:
        ax.set_xscale("log")
    ax.set_xticks(budgets, [f"{b:g}" for b in budgets])
    ax.set_xlabel("time budget (s)")
    ax.set_ylabel("test error, tunelab / FLAML")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def render(meta: dict[str, Any], records: list[dict[str, Any]], plot: Path | None) -> str:
    """The whole page: what was run, the targets, the ratio per budget, every cell."""
    lines = [f"# {meta['title']}", ""]
    if meta.get("note"):
        lines += [f"**{meta['note']}**", ""]
    lines += [
        f"- Commit: `{meta['commit']}`; cells stored in `{meta['store']}` (resumable).",
        f"- Machine: {meta['machine']}; load average at start {meta['load_start']}, "
        f"at end {meta.get('load_end', '-')}.",
        f"- Command: `{meta['command']}`",
        f"- Datasets ({len(meta['datasets'])}): {', '.join(meta['datasets'])}; "
        f"budgets {', '.join(f'{b:g}' for b in meta['budgets'])} s; seeds {meta['seeds_text']}.",
        "- tunelab: the whole `tunelab automl TRAIN --test-ratio 0 --metric M --time-budget B "
        "--n-jobs 2` command, start to exit, then `tunelab predict` of the test rows (scored "
        "here) and of 2,000 rows (timed). FLAML: `AutoML.fit` in its own venv, same split, "
        "same budget, `n_jobs=2`, run right after tunelab. Peak memory: PSS of the whole "
        "process tree, sampled every 0.2 s.",
        "- Test error: binary 1 - ROC AUC, multiclass log-loss, regression RMSE; ratio = "
        "tunelab's error / FLAML's (below 1: tunelab better), each floored at "
        f"{ERROR_FLOOR:g} (a perfect score would make the ratio 0 or infinite).",
        "",
        "## Targets",
        "",
        "| target | goal | measured | pass |",
        "|---|---|---|---|",
    ]
    for goal in targets(records):
        verdict = "not measured" if goal.passed is None else ("PASS" if goal.passed else "FAIL")
        lines.append(f"| {goal.name} | {goal.target} | {goal.measured} | {verdict} |")
    lines += [
        "",
        "## Error ratio per budget",
        "",
        "| budget | datasets | pairs | geometric mean ratio | target | win rate | "
        "spread over seeds |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in budget_rows(pairs(records)):
        spread = ", ".join(f"{v:.3f}" for v in row.seed_ratios) or "one seed"
        lines.append(
            f"| {row.budget:g} s | {row.n_datasets} | {row.n_pairs} | "
            f"{_fmt(row.geo_ratio, '.3f')} | {ratio_target(row.budget):.2f} | "
            f"{_fmt(None if row.win_rate is None else 100 * row.win_rate, '.0f', '%')} | "
            f"{spread} |"
        )
    if plot is not None:
        lines += ["", f"![error ratio vs budget]({plot.name})"]
    lines += [
        "",
        "## Every run",
        "",
        "Seconds and MB. `limit` = B x 1.05 + 2 s. Phases from tunelab's `timings.json`: "
        "start-up (imports, reading) before `fit`, search, ensemble, refit, then the save "
        "(evaluation, bundle, report).",
        "",
        "| dataset | B | seed | tunelab error | FLAML error | ratio | tunelab wall | limit | "
        "fit | start-up | search | ensemble | refit | save | peak PSS (parent / children) | "
        "bundle | predict 2k | FLAML wall | FLAML PSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        "---:|---:|---:|",
    ]
    by_key = {(r["dataset"], float(r["budget"]), int(r["seed"]), r["system"]): r for r in records}
    keys = sorted({(d, b, s) for d, b, s, _ in by_key})
    for d, b, s in keys:
        t, f = by_key.get((d, b, s, CHAMPION)), by_key.get((d, b, s, OPPONENT))
        te, fe = _get(t, "error_value"), _get(f, "error_value")
        ratio = error_ratio(te, fe) if te is not None and fe is not None else None
        fit = _get(t, "timings", "fit") or {}
        save = _get(t, "timings", "save", "total")
        startup = _get(t, "timings", "command", "startup")
        pss = _get(t, "automl", "peak_pss_mb")
        split = (
            f"{_fmt(pss, '.0f')} ({_fmt(_get(t, 'automl', 'peak_parent_mb'), '.0f')} / "
            f"{_fmt(_get(t, 'automl', 'peak_children_mb'), '.0f')})"
        )
        status = "" if t is None or t.get("status") == "ok" else f" ({t.get('status')})"
        lines.append(
            f"| {d} | {b:g} | {s} | {_fmt(te, '.4f')}{status} | {_fmt(fe, '.4f')} | "
            f"{_fmt(ratio, '.3f')} | {_fmt(_get(t, 'automl', 'wall_s'))} | "
            f"{command_limit(b):.1f} | {_fmt(fit.get('fit'))} | {_fmt(startup)} | "
            f"{_fmt(fit.get('search'))} | {_fmt(fit.get('ensemble'))} | "
            f"{_fmt(fit.get('refit'))} | {_fmt(save)} | {split} | "
            f"{_fmt(_get(t, 'bundle_mb'))} | {_fmt(_get(t, 'predict', 'wall_s'), '.2f')} | "
            f"{_fmt(_get(f, 'automl', 'wall_s'))} | "
            f"{_fmt(_get(f, 'automl', 'peak_pss_mb'), '.0f')} |"
        )
    failed = [r for r in records if r.get("status") != "ok"]
    if failed:
        lines += ["", "## Failed runs", ""]
        for r in failed:
            first = (r.get("error") or "").strip().splitlines()[:3]
            lines.append(
                f"- {r['system']} on {r['dataset']} at {r['budget']:g} s, seed {r['seed']}: "
                f"{r.get('status')}: {' / '.join(first) or 'no error text'}"
            )
    return "\n".join(lines) + "\n"
