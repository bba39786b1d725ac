"""Latency of an exported ONNX model (onnxruntime) beside the native bundle, one row and 10k rows.

Trains (once, cached in ``--bundle``) a small greedy ensemble on examples/data/credit-g.csv,
exports it with ``tunelab.bundles.export_onnx`` (parity-checked), then times on one thread:
``Bundle.predict_proba`` (native), onnxruntime's ``run`` on a ready feed, and onnxruntime
including the DataFrame -> feed conversion (``onnx_inputs``), and for one row the serving
path of a deployment (``timed_predict`` with its fast plan). p50/p90 over ``--calls`` calls
for one row, over ``--big-calls`` calls for 10,000 rows.

    uv run python benchmarks/export_latency.py [--calls 300] [--big-calls 5]
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ensemble_latency import DATA, ROOT, train  # the same cached ensemble


def rows(n: int, seed: int = 1) -> pd.DataFrame:
    df = pd.read_csv(DATA).drop(columns=["class"])
    return df.sample(n, replace=n > len(df), random_state=seed).reset_index(drop=True)


def percentiles(call: Any, n: int) -> dict[str, float]:
    for _ in range(min(3, n)):
        call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p90_ms": float(np.percentile(times, 90))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path, default=ROOT / "runs" / "bench-export" / "bundle")
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--big-calls", type=int, default=5)
    args = parser.parse_args()

    import onnxruntime as ort

    from tunelab.bundles import export_onnx, load_bundle
    from tunelab.bundles._onnx import onnx_inputs

    if not (args.bundle / "manifest.json").is_file():
        train(args.bundle, args.budget)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = load_bundle(args.bundle)
        export = export_onnx(args.bundle, args.bundle.parent / "model.onnx")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(export.path, options, providers=["CPUExecutionProvider"])
    members = [type(m).__name__ for m in getattr(bundle.model, "members_", [bundle.model])]
    out: dict[str, Any] = {
        "model": type(bundle.model).__name__,
        "members": len(members),
        "onnx_bytes": export.size_bytes,
        "parity": {
            "rows": export.rows_checked,
            "max_difference": export.max_difference,
            "label_agreement": export.label_agreement,
        },
    }
    from benchmarks.ensemble_latency import predictor
    from tunelab.server.predictor import timed_predict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        served = predictor(args.bundle)  # the deployment's predictor with its fast plan
    one = list(json.loads(rows(1).to_json(orient="records")))
    out["1_row_server_fast_plan"] = percentiles(lambda: timed_predict(served, one), args.calls)
    for label, frame, calls in (
        ("1_row", rows(1), args.calls),
        ("10k_rows", rows(10_000), args.big_calls),
    ):
        feed = onnx_inputs(bundle, frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[label] = {
                "native_predict_proba": percentiles(
                    lambda f=frame: bundle.predict_proba(f), calls
                ),
                "onnxruntime_run": percentiles(lambda f=feed: session.run(None, f), calls),
                "onnxruntime_with_feed": percentiles(
                    lambda f=frame: session.run(None, onnx_inputs(bundle, f)), calls
                ),
            }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
