"""Ray executor vs local processes: per-call overhead, trials per minute, same-seed quality.

    uv run python benchmarks/ray_overhead.py --ray-address 127.0.0.1:6379 --out ray.jsonl

Runs on an existing cluster (start one with ``ray start``; see docs/scaling.md). Measures
(1) an empty call's round trip, (2) AutoML with LightGBM only, a fixed number of trials, on
each executor: wall time, trials per minute and the best score for the same seed.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab import AutoML
from tunelab.executors import Call, LocalProcessExecutor, RayExecutor, TrialExecutor


def _noop() -> int:
    return 0


def call_overhead(executor: TrialExecutor, n: int) -> list[float]:
    """Seconds from submit to the end being reported, one empty call at a time."""
    times = []
    for key in range(n):
        start = time.monotonic()
        executor.submit(Call(key, _noop, (), 60.0))
        while not executor.wait(5.0):
            pass
        times.append(time.monotonic() - start)
    return times


def frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(scale=0.7, size=n) > 0).astype(int)
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(10)]).assign(target=y)


def search(executor: TrialExecutor, trials: int, seed: int) -> dict[str, Any]:
    start = time.monotonic()
    model = AutoML(
        time_budget=None,
        max_trials=trials,
        algorithms=["lightgbm"],
        ensemble="none",
        refit_final=False,
        seed=seed,
        executor=executor,
    ).fit(frame(), "target")
    wall = time.monotonic() - start
    board = model.leaderboard()
    ok = board[board["status"] == "ok"]
    return {
        "wall_s": round(wall, 2),
        "trials": len(board),
        "trials_per_min": round(60 * len(board) / wall, 1),
        "mean_fit_s": round(float(ok["fit_time"].mean()), 3),
        "best_score": round(float(ok["score"].max()), 4),
        "nodes": int(board["node_id"].nunique()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ray-address", required=True)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path, default=None, help="append a JSON line here")
    args = parser.parse_args()

    results: dict[str, Any] = {"label": args.label, "load_1min": os.getloadavg()[0]}
    t0 = time.monotonic()
    ray_exec = RayExecutor(args.ray_address)
    results["ray_start_and_warm_up_s"] = round(time.monotonic() - t0, 2)
    results["ray_cpus"] = ray_exec.cluster_cpus()
    local = LocalProcessExecutor(n_workers=int(ray_exec.cluster_cpus()))
    try:
        for name, executor in (("local", local), ("ray", ray_exec)):
            times = call_overhead(executor, args.calls)
            results[f"{name}_empty_call_ms_median"] = round(1000 * statistics.median(times), 1)
            results[f"{name}_empty_call_ms_p90"] = round(
                1000 * sorted(times)[int(0.9 * (len(times) - 1))], 1
            )
            results[f"{name}_lightgbm"] = search(executor, args.trials, args.seed)
    finally:
        local.shutdown()
        ray_exec.shutdown()
    line = json.dumps(results)
    print(line)
    if args.out is not None:
        with args.out.open("a") as fh:
            fh.write(line + "\n")


if __name__ == "__main__":
    main()
