"""Benchmark tunelab against FLAML and default LightGBM on the shared datasets.

    uv run python benchmarks/run.py --budget 60 --datasets all \
        --systems tunelab,flaml,lightgbm_default --seeds 1 --out docs/benchmarks/results.md
    uv run python benchmarks/run.py --smoke          # 2 small datasets, 10 s: checks the harness

Runs go one after another (never two systems at once). Results are rewritten after every
run: a Markdown page at --out and its JSON twin (same name, .json) with the raw records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import DATASETS_DIR, DEFAULT_MAX_ROWS, REPO_ROOT, discover, select
from benchmarks.machine import help_seconds, load_average, machine_info
from benchmarks.markdown import render
from benchmarks.records import RunRecord
from benchmarks.splits import make_split
from benchmarks.systems import get_system, run_system

WORK_DIR = REPO_ROOT / ".bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--budget", type=float, default=60.0, help="seconds per AutoML fit")
    p.add_argument("--datasets", default="all", help="all (<= --max-rows), small, or a,b,c")
    p.add_argument("--systems", default="tunelab,flaml,lightgbm_default")
    p.add_argument("--seeds", type=int, default=1, help="repetitions: seeds 0..N-1")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS)
    p.add_argument("--out", type=Path, default=None, help="Markdown file (JSON twin beside)")
    p.add_argument("--smoke", action="store_true", help="2 small datasets, 10 s budget")
    p.add_argument("--champion", default=None, help="system whose win rate is reported")
    p.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="JSON twin of an earlier run: take the records of systems not run now",
    )
    p.add_argument("--note", default="", help="free text shown at the top of the page")
    p.add_argument("--title", default="Benchmark: tunelab vs FLAML vs default LightGBM")
    p.add_argument("--data-dir", type=Path, default=DATASETS_DIR)
    p.add_argument(
        "--render",
        type=Path,
        default=None,
        help="only rewrite the Markdown page of this JSON twin, run nothing",
    )
    args = p.parse_args(argv)
    if args.smoke:
        args.datasets = "smoke" if args.datasets == "all" else args.datasets
        args.budget = 10.0 if args.budget == 60.0 else args.budget
        args.out = args.out or WORK_DIR / "smoke.md"
    args.out = args.out or REPO_ROOT / "docs" / "benchmarks" / "results.md"
    return args


def reused_records(
    path: Path, skip_systems: set[str], datasets: set[str], seeds: int
) -> tuple[list[RunRecord], str]:
    """Records of other systems from an earlier JSON twin, and a line saying where from."""
    data = json.loads(path.read_text())
    recs = [RunRecord.from_dict(r) for r in data["runs"]]
    keep = [
        r
        for r in recs
        if r.system not in skip_systems and r.dataset in datasets and r.seed < seeds
    ]
    systems = sorted({r.system for r in keep})
    when = data.get("meta", {}).get("started", "?")
    return keep, f"{', '.join(systems) or 'none'} from `{path.name}` (measured {when})"


def write(out: Path, meta: dict[str, Any], records: list[RunRecord], systems: list[str]) -> None:
    """Write the Markdown page and its JSON twin."""
    out.parent.mkdir(parents=True, exist_ok=True)
    versions = {}
    for r in records:
        if r.versions and r.system not in versions:
            versions[r.system] = ", ".join(f"{k} {v}" for k, v in r.versions.items())
    meta["versions_text"] = "; ".join(f"{s}: {v}" for s, v in versions.items()) or "-"
    out.write_text(render(meta, records, systems), encoding="utf-8")
    twin = {"meta": meta, "runs": [r.to_dict() for r in records]}
    out.with_suffix(".json").write_text(json.dumps(twin, indent=2, default=str))


def render_only(twin: Path) -> int:
    """Rewrite ``twin``'s Markdown page (same name, .md) from its raw records."""
    data = json.loads(twin.read_text())
    records = [RunRecord.from_dict(r) for r in data["runs"]]
    systems = list(dict.fromkeys(r.system for r in records))
    meta = data["meta"]
    if meta.get("champion") in systems:
        systems.remove(meta["champion"])
        systems.insert(0, meta["champion"])
    write(twin.with_suffix(".md"), meta, records, systems)
    print(f"wrote {twin.with_suffix('.md')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 0 even when systems fail (failures are in the report)."""
    args = parse_args(argv)
    if args.render:
        return render_only(args.render)
    run_systems = [get_system(s.strip()) for s in args.systems.split(",") if s.strip()]
    datasets = select(discover(args.data_dir), args.datasets, max_rows=args.max_rows)
    records: list[RunRecord] = []
    names = [s.name for s in run_systems]
    meta: dict[str, Any] = {
        "title": args.title,
        "command": shlex.join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "budget": args.budget,
        "n_jobs": args.n_jobs,
        "seeds": list(range(args.seeds)),
        "note": args.note,
        "load_start": load_average(),
        "champion": args.champion or ("tunelab" if "tunelab" in names else names[0]),
        "datasets": [d.name for d in datasets],
    }
    all_systems = list(names)
    if args.reuse:
        old, line = reused_records(args.reuse, set(names), {d.name for d in datasets}, args.seeds)
        records += old
        meta["reused"] = line
        all_systems += sorted({r.system for r in old} - set(names))
    if "tunelab" in names:
        tunelab_bin = REPO_ROOT / ".venv" / "bin" / "tunelab"
        try:
            meta["help"] = help_seconds([str(tunelab_bin), "--help"])
        except Exception as exc:
            meta["help"] = {"error": repr(exc)}
    for dataset in datasets:
        for seed in range(args.seeds):
            split = make_split(dataset, seed, WORK_DIR / "splits")
            for system in run_systems:
                print(
                    f"[{dt.datetime.now():%H:%M:%S}] {system.name} on {dataset.name} "
                    f"(seed {seed}, {dataset.rows:,} rows)...",
                    flush=True,
                )
                rec = run_system(
                    system,
                    dataset,
                    split,
                    seed=seed,
                    budget=args.budget,
                    n_jobs=args.n_jobs,
                    work_dir=WORK_DIR / "runs",
                )
                records.append(rec)
                print(
                    f"    {rec.status} {rec.metric}={rec.score} fit={rec.fit_seconds} "
                    f"wall={rec.wall_seconds:.1f}s peak={rec.peak_mb:.0f}MB",
                    flush=True,
                )
                meta["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
                meta["load_end"] = load_average()
                write(args.out, meta, records, all_systems)
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
