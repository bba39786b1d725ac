"""Time and memory of the whole ``tunelab automl`` and ``tunelab predict`` commands.

    uv run python benchmarks/engine_budget.py --budget 60 \
        --datasets credit-g,yeast,abalone,segment --out .bench/engine-budget.json

For each dataset (the benchmark's 80/20 split, seed 0): ``tunelab automl`` on the train
file, run as a monitored child (wall time start to exit, peak PSS of the whole process
tree sampled every 0.2 s), the per-phase ``timings`` the run wrote into its
``leaderboard.json``, then ``tunelab predict`` of 2,000 test rows (repeated when the test
file is smaller) with its own wall time and peak PSS. Results are printed and written as
JSON to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from benchmarks.datasets import DATASETS_DIR, REPO_ROOT, discover, select
from benchmarks.machine import load_average, machine_info
from benchmarks.monitor import run_monitored
from benchmarks.splits import make_split

WORK_DIR = REPO_ROOT / ".bench" / "engine"
TUNELAB = REPO_ROOT / ".venv" / "bin" / "tunelab"
PREDICT_ROWS = 2_000


def predict_file(test: Path, out: Path, target: str) -> Path:
    """``PREDICT_ROWS`` rows of the test file without the target (repeated if too few)."""
    frame = pd.read_parquet(test).drop(columns=[target])
    copies = -(-PREDICT_ROWS // max(len(frame), 1))
    rows = pd.concat([frame] * copies, ignore_index=True).head(PREDICT_ROWS)
    rows.to_parquet(out, index=False)
    return out


def run_one(
    name: str,
    task: str,
    target: str,
    split: Any,
    budget: float,
    n_jobs: int,
    *,
    label: str = "",
    env: dict[str, str] | None = None,
    max_trials: int | None = None,
) -> dict[str, Any]:
    """The automl and predict commands on one dataset, measured."""
    run_dir = WORK_DIR / f"{name}-b{budget:g}{'-' + label if label else ''}"
    out = run_dir / "out"
    cmd = [
        str(TUNELAB),
        "automl",
        str(split.train),
        "--target",
        target,
        "--task",
        task,
        "--time-budget",
        str(budget),
        "--seed",
        "0",
        "--n-jobs",
        str(n_jobs),
        "--out",
        str(out),
    ]
    if max_trials is not None:  # the same trials before and after a change, whatever the load
        cmd += ["--max-trials", str(max_trials)]
    fit = run_monitored(cmd, timeout=3 * budget + 120, log_path=run_dir / "automl.log", env=env)
    record: dict[str, Any] = {
        "dataset": name,
        "task": task,
        "budget": budget,
        "automl": {
            "returncode": fit.returncode,
            "wall_s": round(fit.wall_seconds, 2),
            "peak_pss_mb": round(fit.peak_mb, 1),
            "peak_parent_mb": round(fit.peak_parent_mb, 1),
            "peak_children_mb": round(fit.peak_children_mb, 1),
            "max_trials": max_trials,
            "max_children": fit.max_children,
            "limit_s": round(budget * 1.05 + 2, 2),
        },
    }
    timings = out / "timings.json"
    if timings.is_file():
        record["timings"] = json.loads(timings.read_text())
    board = out / "leaderboard.csv"
    if board.is_file():
        record["n_trials"] = max(0, len(pd.read_csv(board)) - 1)
    rows = predict_file(split.test, run_dir / "predict-input.parquet", target)
    pred = run_monitored(
        [str(TUNELAB), "predict", str(out), str(rows), "--out", str(run_dir / "p.csv")],
        timeout=120,
        log_path=run_dir / "predict.log",
        env=env,
    )
    record["predict"] = {
        "returncode": pred.returncode,
        "wall_s": round(pred.wall_seconds, 2),
        "peak_pss_mb": round(pred.peak_mb, 1),
        "rows": PREDICT_ROWS,
    }
    return record


def main(argv: list[str] | None = None) -> int:
    """Run the commands on each dataset and write the JSON record."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--budget", type=float, default=60.0)
    p.add_argument("--datasets", default="credit-g,yeast,abalone,segment")
    p.add_argument("--out", type=Path, default=WORK_DIR / "engine-budget.json")
    p.add_argument("--label", default="", help="free text stored with the results")
    p.add_argument("--n-jobs", type=int, default=2, help="trials in parallel (--n-jobs)")
    p.add_argument("--data-dir", type=Path, default=DATASETS_DIR)
    p.add_argument("--max-trials", type=int, default=None, help="stop after N trials")
    p.add_argument(
        "--src",
        type=Path,
        default=None,
        help="run tunelab from this src folder (PYTHONPATH), e.g. an older commit's",
    )
    args = p.parse_args(argv)
    results: dict[str, Any] = {
        "label": args.label,
        "machine": machine_info(),
        "load_start": load_average(),
        "runs": [],
    }
    env = dict(os.environ)
    if args.src is not None:
        env["PYTHONPATH"] = str(args.src.resolve())
    for dataset in select(discover(args.data_dir), args.datasets):
        split = make_split(dataset, 0, REPO_ROOT / ".bench" / "splits")
        rec = run_one(
            dataset.name,
            dataset.task,
            dataset.target,
            split,
            args.budget,
            args.n_jobs,
            label=args.label,
            env=env,
            max_trials=args.max_trials,
        )
        rec["load"] = load_average()
        results["runs"].append(rec)
        print(json.dumps(rec), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
