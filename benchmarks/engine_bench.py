"""Issue 17's engine benchmark: the whole ``tunelab automl`` command beside FLAML.

    uv run python benchmarks/engine_bench.py --budgets 10,30,60,300 --seeds 1 \
        --seeds-at 60:3 --datasets all --out docs/benchmarks/engine-targets.md
    uv run python benchmarks/engine_bench.py --smoke     # 2 small datasets at 10 s

For every dataset, budget and seed (the benchmark's 80/20 split of that seed), tunelab's
CLI command and FLAML run one after the other (never at once), see ``engine_cells``. Each
cell is stored as it ends under ``.bench/engine-cells/<commit>/``; a run started again at
the same commit skips the stored cells, so a long quiet-machine run can be done in pieces
(``--only-missing`` is the default; ``--rerun`` runs them again). The page (targets table,
ratio per budget, plot, every run) is rewritten after every cell from all stored cells of
the commit that match the selection; ``--render`` only rewrites it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import DATASETS_DIR, DEFAULT_MAX_ROWS, REPO_ROOT, discover, select
from benchmarks.engine_cells import Cell, CellStore, commit_key, run_cell
from benchmarks.engine_page import plot_ratios, render
from benchmarks.machine import load_average, machine_info
from benchmarks.splits import make_split

STORE = REPO_ROOT / ".bench" / "engine-cells"
WORK = REPO_ROOT / ".bench" / "engine-runs"


def parse_seeds_at(text: str) -> dict[float, int]:
    """``"60:3,300:2"`` -> {60.0: 3, 300.0: 2}: budgets run with more seeds."""
    out: dict[float, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        budget, _, seeds = part.partition(":")
        out[float(budget)] = int(seeds)
    return out


def plan_cells(
    datasets: list[str],
    budgets: list[float],
    seeds: int,
    seeds_at: dict[float, int],
    systems: list[str],
) -> list[Cell]:
    """Every cell, smallest budget first (quick answers first), tunelab before FLAML.

    ``lightgbm_default`` has no budget: it runs once per dataset and seed (stored at budget 0).
    """
    cells: list[Cell] = []
    for budget in sorted(budgets):
        for seed in range(seeds_at.get(budget, seeds)):
            for dataset in datasets:
                cells += [
                    Cell(s, dataset, budget, seed) for s in systems if s != "lightgbm_default"
                ]
    if "lightgbm_default" in systems:
        top = max(seeds_at.get(b, seeds) for b in budgets)
        cells += [Cell("lightgbm_default", d, 0.0, s) for s in range(top) for d in datasets]
    return cells


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--budgets", default="10,30,60,300", help="seconds, comma-separated")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 at every budget")
    p.add_argument("--seeds-at", default="60:3", help="more seeds at some budgets, B:N,...")
    p.add_argument("--datasets", default="all", help="all (<= --max-rows), small, or a,b,c")
    p.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS)
    p.add_argument("--systems", default="tunelab,flaml")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--data-dir", type=Path, default=DATASETS_DIR)
    p.add_argument("--out", type=Path, default=REPO_ROOT / "docs/benchmarks/engine-targets.md")
    p.add_argument("--title", default="Engine benchmark: issue 17's targets, tunelab vs FLAML")
    p.add_argument("--note", default="", help="shown in bold at the top of the page")
    p.add_argument("--commit", default=None, help="store key (default: the checked-out commit)")
    p.add_argument("--rerun", action="store_true", help="run cells already stored again")
    p.add_argument("--render", action="store_true", help="only rewrite the page")
    p.add_argument("--smoke", action="store_true", help="blood-transfusion and abalone at 10 s")
    args = p.parse_args(argv)
    if args.smoke:
        args.datasets = "smoke" if args.datasets == "all" else args.datasets
        args.budgets, args.seeds_at = "10", ""
        args.note = args.note or "Smoke run of the harness: NOT the target run."
    return args


def write_page(out: Path, meta: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """The Markdown page and its plot (``<out stem>-ratio.png``) beside it; the load
    averages are those recorded by the first and last cell run."""
    ran = sorted((r for r in records if r.get("started")), key=lambda r: r["started"])
    if ran:
        meta = {
            **meta,
            "load_start": ran[0].get("load_before"),
            "load_end": ran[-1].get("load_after"),
        }
    plot = plot_ratios(records, out.with_name(out.stem + "-ratio.png"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(meta, records, plot), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the missing cells, rewriting the page after each; exit 0 even when runs fail."""
    args = parse_args(argv)
    budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
    seeds_at = {b: n for b, n in parse_seeds_at(args.seeds_at).items() if b in budgets}
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    datasets = select(discover(args.data_dir), args.datasets, max_rows=args.max_rows)
    by_name = {d.name: d for d in datasets}
    cells = plan_cells(list(by_name), budgets, args.seeds, seeds_at, systems)
    store = CellStore(STORE, args.commit or commit_key())
    seeds_text = f"0..{args.seeds - 1}" + "".join(
        f"; {n} at {b:g} s" for b, n in sorted(seeds_at.items())
    )
    meta: dict[str, Any] = {
        "title": args.title,
        "note": args.note,
        "commit": store.commit,
        "store": str(store.folder.relative_to(REPO_ROOT)),
        "machine": ", ".join(f"{k} {v}" for k, v in machine_info().items()),
        "load_start": load_average(),
        "command": shlex.join(["python", "benchmarks/engine_bench.py", *(argv or sys.argv[1:])]),
        "datasets": list(by_name),
        "budgets": budgets,
        "seeds_text": seeds_text,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    wanted = {c.name for c in cells}

    def selected() -> list[dict[str, Any]]:
        return [r for r in store.records() if Cell(**_cell_fields(r)).name in wanted]

    if not args.render:
        for cell in cells:
            if store.get(cell) is not None and not args.rerun:
                continue
            dataset = by_name[cell.dataset]
            split = make_split(dataset, cell.seed, REPO_ROOT / ".bench" / "splits")
            print(
                f"[{dt.datetime.now():%H:%M:%S}] {cell.name} ({dataset.rows:,} rows)", flush=True
            )
            record = run_cell(cell, dataset, split, n_jobs=args.n_jobs, work_root=WORK)
            store.put(cell, record)
            wall = (record.get("automl") or {}).get("wall_s")
            print(f"    {record.get('status')} error={record.get('error_value')} wall={wall}")
            meta["load_end"] = load_average()
            write_page(args.out, meta, selected())
    meta["load_end"] = load_average()
    write_page(args.out, meta, selected())
    print(f"wrote {args.out}")
    return 0


def _cell_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "system": record["system"],
        "dataset": record["dataset"],
        "budget": float(record["budget"]),
        "seed": int(record["seed"]),
    }


if __name__ == "__main__":
    raise SystemExit(main())
