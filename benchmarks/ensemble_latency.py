"""Latency of one deployment's predictions for a real greedy ensemble, fast and generic paths.

Trains (once, cached in ``--bundle``) a small ``tunelab.AutoML`` greedy ensemble on
examples/data/credit-g.csv with several model families, then times ``timed_predict`` on one
row and on 100 rows through the fast plan and through the generic path (the plan switched
off), p50/p90 over ``--calls`` calls on one thread. ``--profile`` prints cProfile's top
functions of the generic path on one row.

    uv run python benchmarks/ensemble_latency.py [--calls 200] [--profile]
"""

import argparse
import cProfile
import json
import pstats
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data" / "credit-g.csv"
ALGORITHMS = ["lightgbm", "logistic_regression", "random_forest", "extra_trees"]


def train(out: Path, budget: float) -> None:
    from tunelab import AutoML

    df = pd.read_csv(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl = AutoML(time_budget=budget, algorithms=ALGORITHMS, ensemble="greedy", seed=0)
        automl.fit(df, target="class")
    automl.save(out)


def records(n: int, seed: int = 1) -> list[dict[str, Any]]:
    df = pd.read_csv(DATA).drop(columns=["class"]).sample(n, random_state=seed)
    return list(json.loads(df.to_json(orient="records")))


def predictor(folder: Path) -> Any:
    from tunelab.bundles import load_bundle
    from tunelab.server.deployments.fastpath import build_fast_plan
    from tunelab.server.predictor import Predictor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = load_bundle(folder)
    pred = Predictor("bench", "bench", bundle, frozenset(c.name for c in bundle.schema))
    pred.plan = build_fast_plan(bundle, pred.generic_output)
    return pred


def timings(pred: Any, rows: list[dict[str, Any]], calls: int) -> dict[str, float]:
    from tunelab.server.predictor import timed_predict

    for _ in range(3):
        timed_predict(pred, rows)
    ms = np.array([timed_predict(pred, rows)[1] for _ in range(calls)])
    return {"p50": float(np.percentile(ms, 50)), "p90": float(np.percentile(ms, 90))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("/tmp/tunelab-ensemble-bench"))
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not (args.bundle / "manifest.json").exists():
        print(f"training the ensemble into {args.bundle} ...", flush=True)
        train(args.bundle, args.budget)
    pred = predictor(args.bundle)
    kind = type(pred.bundle.model).__name__
    members = [type(m).__name__ for m in getattr(pred.bundle.model, "members_", [])]
    print(f"model: {kind} {members}; fast plan: {pred.plan is not None}")
    one, hundred = records(1), records(100)
    plan = pred.plan
    if args.profile:
        pred.plan = None
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(20):
            pred.predict(one)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        pred.plan = plan
    odd = [{**one[0], "checking_status": "never seen", "purpose": 7, "duration": "24"}]
    cases = (("1 row", one), ("1 odd row", odd), ("100 rows", hundred))
    for label, rows in cases:
        pred.plan = plan
        fast = timings(pred, rows, args.calls) if plan is not None else None
        pred.plan = None
        generic = timings(pred, rows, args.calls)
        print(
            f"{label:10s} generic p50 {generic['p50']:8.2f} ms p90 {generic['p90']:8.2f} ms"
            + (f" | fast p50 {fast['p50']:6.2f} ms p90 {fast['p90']:6.2f} ms" if fast else "")
        )
    pred.plan = plan


if __name__ == "__main__":
    main()
