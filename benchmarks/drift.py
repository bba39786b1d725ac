"""Time of one drift report over a window of logged predictions (issue 12: 100k rows ×
50 columns under 2 s).

Writes ``--rows`` logged records of ``--columns`` input fields (80% numeric, 20%
categorical) into a fresh SQLite metadata store the way the server's prediction log does
(Arrow batches of 256 records, one per request), with reference statistics of a training
frame of ``--reference`` rows, then times what ``GET /api/v1/deployments/{id}/drift`` runs:
``tunelab.jobs.drift_of`` (read the window's batches, decode, filter by time, every column's
test, PSI, missing share, unseen categories, prediction drift). Median and max of
``--repeats`` runs after one warm-up.

    uv run python benchmarks/drift.py [--rows 100000] [--columns 50] [--repeats 5]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

BATCH = 256


def table(rows: int, columns: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_cat = max(1, columns // 5)
    data: dict[str, Any] = {}
    for i in range(columns - n_cat):
        data[f"num{i}"] = rng.normal(loc=i, scale=1 + i % 3, size=rows)
    for i in range(n_cat):
        data[f"cat{i}"] = rng.choice([f"v{k}" for k in range(3 + i)], size=rows)
    return pd.DataFrame(data)


def fill(store: Any, deployment_id: str, current: pd.DataFrame) -> None:
    from tunelab.monitoring import encode_batch

    kinds = {str(c): ("numeric" if str(c).startswith("num") else "categorical") for c in current}
    records = current.to_dict("records")
    now = time.time() - 60
    batches = []
    for at in range(0, len(records), BATCH):
        chunk = records[at : at + BATCH]
        requests = [
            {
                "inputs": [record],
                "outputs": {"predictions": ["yes"], "probabilities": [{"no": 0.3, "yes": 0.7}]},
                "prediction_ids": [f"{at + i}"],
                "at": now + (at + i) * 1e-4,
                "model_id": "m",
            }
            for i, record in enumerate(chunk)
        ]
        data, n = encode_batch(requests, kinds)
        batches.append(
            {
                "deployment_id": deployment_id,
                "first_at": requests[0]["at"],
                "last_at": requests[-1]["at"],
                "n_rows": n,
                "n_requests": n,
                "data": data,
            }
        )
        if len(batches) == 50:
            store.add_monitor_batches(batches)
            batches = []
    store.add_monitor_batches(batches)


def main() -> None:
    from tunelab.bundles import reference_statistics
    from tunelab.jobs import drift_of
    from tunelab.tracking import MetadataStore

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--reference", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    reference = table(args.reference, args.columns, seed=0)
    stats = reference_statistics(reference)
    prediction = {
        "kind": "categorical",
        "count": 1000,
        "n_unique": 2,
        "counts": {"no": 300, "yes": 700},
        "frequencies": {"no": 0.3, "yes": 0.7},
        "other_frequency": 0.0,
        "missing_ratio": 0.0,
    }
    bundle = SimpleNamespace(
        reference_statistics=stats,
        feature_columns=list(reference.columns),
        prediction_statistics=prediction,
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = MetadataStore(f"sqlite:///{Path(tmp) / 'meta.db'}")
        model = store.add_model(name="bench", uri="none")
        deployment = store.create_deployment(model.id)
        started = time.perf_counter()
        fill(store, deployment.id, table(args.rows, args.columns, seed=1))
        print(
            f"logged {args.rows} rows x {args.columns} columns in "
            f"{time.perf_counter() - started:.1f} s"
        )
        report = drift_of(store, bundle, deployment.id)  # warm-up
        seconds, cpu = [], []
        for _ in range(args.repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            report = drift_of(store, bundle, deployment.id)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        store.close()
    methods = sorted({c["method"] for c in report["columns"]})
    print(
        f"rows {report['rows']}, columns {len(report['columns'])}, methods {methods}, "
        f"dataset drift {report['dataset_drift']}"
    )
    print(
        f"drift report: wall median {statistics.median(seconds):.3f} s, "
        f"max {max(seconds):.3f} s; CPU time (all threads) median "
        f"{statistics.median(cpu):.3f} s over {args.repeats} runs; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
