"""Platform serving benchmark: one-row prediction latency/throughput and listing times.

Starts ``tunelab serve`` as a subprocess on 127.0.0.1 (its own temporary home, no workers),
trains a LightGBM-only model (and, with ``--ensemble``, the default ensemble) on a shared
dataset, registers the bundles in the server's store, deploys them over the API and drives
load from a second process. Prints p50/p99/throughput/errors and writes Markdown to
``docs/benchmarks/platform-serving-<date>.md``. Not a test: run ``make bench-platform``.

    uv run python benchmarks/platform_serving.py [--duration 60] [--rate 300] [--ensemble]
        [--lists-only] [--list-repeats 21] [--out FILE]
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, json.loads(raw) if raw else None, elapsed


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"tunelab serve exited with {proc.returncode}")
        try:
            if _call(base, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("tunelab serve did not become healthy")


def _train(
    dataset: str, target: str, algorithms: list[str] | None, ensemble: str, out: Path
) -> Any:
    import pandas as pd

    from tunelab import AutoML

    df = pd.read_parquet(DATASETS / f"{dataset}.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl = AutoML(time_budget=15, algorithms=algorithms, ensemble=ensemble, seed=0)
        automl.fit(df, target=target)
    automl.save(out)
    records = df.drop(columns=[target]).sample(500, random_state=0)
    return json.loads(records.to_json(orient="records")), str(automl.final_.kind)


def _register(home: Path, bundle: Path, name: str) -> str:
    from tunelab.artifacts import ArtifactStore
    from tunelab.tracking import MetadataStore

    with MetadataStore(f"sqlite:///{home / 'tunelab.db'}") as store:
        prefix = f"models/{uuid.uuid4().hex}"
        ArtifactStore(str(home / "artifacts")).put_dir(prefix, bundle)
        return store.add_model(name=name, uri=prefix, task=None).id


def _load_worker(
    host: str, port: int, path: str, bodies: list[bytes], rate: float, duration: float, q: Any
) -> None:
    """One connection; requests paced to ``rate`` per second for ``duration`` seconds."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies: list[float] = []
    errors = 0
    interval = 1.0 / rate if rate > 0 else 0.0
    start = time.perf_counter()
    next_at = start
    i = 0
    while time.perf_counter() - start < duration:
        if interval:
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            next_at += interval
        body = bodies[i % len(bodies)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except OSError:
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
        latencies.append((time.perf_counter() - t0) * 1000)
    q.put((latencies, errors, time.perf_counter() - start))


def _drive(
    port: int, path: str, records: list[dict[str, Any]], rate: float, duration: float, conns: int
) -> dict[str, Any]:
    """Load from a separate process per connection (never the server's process)."""
    bodies = [json.dumps({"records": [r]}).encode() for r in records]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [
        ctx.Process(
            target=_load_worker,
            args=("127.0.0.1", port, path, bodies, rate / conns, duration, q),
        )
        for _ in range(conns)
    ]
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _, _ in results for x in lat)
    errors = sum(e for _, e, _ in results)
    elapsed = max(t for _, _, t in results)
    return _summary(latencies, errors, elapsed)


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    n = len(latencies)
    q = statistics.quantiles(latencies, n=100) if n > 1 else latencies * 99
    return {
        "requests": n,
        "errors": errors,
        "seconds": round(elapsed, 1),
        "throughput": round(n / elapsed, 1),
        "p50_ms": round(q[49], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(latencies[-1], 2) if n else None,
    }


def _timed_get(base: str, path: str, repeat: int = 21) -> dict[str, float]:
    _call(base, "GET", path)  # warm
    times = sorted(_call(base, "GET", path)[2] for _ in range(repeat))
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if repeat > 1 else times[0]
    return {
        "median_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(times[-1], 1),
    }


def _seed_lists(home: Path, n_experiments: int, n_trials: int) -> str:
    """1,000 experiments and one experiment with 10,000 trials, written straight to the store."""
    from sqlalchemy import insert

    from tunelab.tracking import MetadataStore
    from tunelab.tracking._orm import TrialRow, utcnow

    with MetadataStore(f"sqlite:///{home / 'tunelab.db'}") as store:
        dataset = store.add_dataset(
            name="seed.csv", source="upload", uri="seed.csv", size_bytes=1, sha256="0" * 64
        )
        for i in range(n_experiments):
            experiment = store.create_experiment(
                dataset_id=dataset.id, target="y", name=f"seeded {i}", task="binary"
            )
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4().hex,
                "experiment_id": experiment.id,
                "number": i,
                "family": ("lightgbm", "xgboost", "catboost")[i % 3],
                "params": {"learning_rate": 0.05, "num_leaves": 31 + i % 64},
                "status": "ok",
                "score": 0.5 + (i % 997) / 2000,
                "score_std": 0.01,
                "fit_time": 1.0,
                "predict_time": 0.1,
                "source": "search",
                "reason": "",
                "created_at": now,
            }
            for i in range(n_trials)
        ]
        with store.engine.begin() as conn:
            conn.execute(insert(TrialRow), rows)
        return experiment.id


def _machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPU(s), load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        f"(1/5/15 min) at start, Python {sys.version.split()[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="credit-g")
    parser.add_argument("--target", default="class")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--sequential-seconds", type=float, default=15.0)
    parser.add_argument("--ensemble", action="store_true", help="also the default ensemble")
    parser.add_argument("--list-repeats", type=int, default=21, help="timed requests per listing")
    parser.add_argument(
        "--lists-only", action="store_true", help="skip the prediction part (listings and health)"
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    machine = _machine()
    tmp = Path(tempfile.mkdtemp(prefix="tunelab-bench-"))
    home, port = tmp / "home", _free_port()
    base = f"http://127.0.0.1:{port}"
    models: list[tuple[str, str, Path]] = []
    records: list[dict[str, Any]] = []
    if not args.lists_only:
        print("training the LightGBM-only model ...", flush=True)
        records, kind = _train(args.dataset, args.target, ["lightgbm"], "none", tmp / "lgbm")
        models.append(("LightGBM only", kind, tmp / "lgbm"))
    if args.ensemble and not args.lists_only:
        print("training the default ensemble ...", flush=True)
        _, ens_kind = _train(args.dataset, args.target, None, "greedy", tmp / "ens")
        models.append(("default AutoML (all families, greedy ensemble)", ens_kind, tmp / "ens"))
    cmd = [str(Path(sys.executable).parent / "tunelab"), "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "0", "--home", str(home), "--no-sample"]
    home.mkdir(parents=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rows: list[dict[str, Any]] = []
    try:
        _wait_healthy(base, proc)
        for label, model_kind, bundle in models:
            model_id = _register(home, bundle, label)
            deployment = _call(base, "POST", "/api/v1/deployments", {"model_id": model_id})[1]
            path = f"/api/v1/deployments/{deployment['id']}/predict"
            for r in records[:20]:
                _call(base, "POST", path, {"records": [r]})  # load the bundle, warm up
            print(f"[{label}] sequential latency ...", flush=True)
            sequential = _drive(port, path, records, 0, args.sequential_seconds, 1)
            print(f"[{label}] sequential: {sequential}", flush=True)
            duration = args.duration if label == "LightGBM only" else min(args.duration, 20)
            print(f"[{label}] {args.rate:.0f} req/s for {duration:.0f} s ...", flush=True)
            loaded = _drive(port, path, records, args.rate, duration, args.connections)
            print(f"[{label}] sustained: {loaded}", flush=True)
            rows.append({"model": label, "kind": model_kind, "seq": sequential, "load": loaded})
        print("seeding 1,000 experiments and a 10,000-trial leaderboard ...", flush=True)
        experiment_id = _seed_lists(home, 1000, 10_000)
        n = args.list_repeats
        lists = {
            "list 1,000 experiments (limit=1000)": _timed_get(
                base, "/api/v1/experiments?limit=1000", n
            ),
            "10,000-trial leaderboard (limit=10000)": _timed_get(
                base, f"/api/v1/experiments/{experiment_id}/leaderboard?limit=10000", n
            ),
            "health": _timed_get(base, "/api/v1/health", max(n, 21)),
        }
        print(lists, flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    _write(args, machine, rows, lists)


def _write(
    args: argparse.Namespace, machine: str, rows: list[dict[str, Any]], lists: dict[str, Any]
) -> None:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    out = Path(args.out or ROOT / "docs" / "benchmarks" / f"platform-serving-{day}.md")
    lines = [
        f"# Platform serving benchmark ({day})",
        "",
        f"Command: `uv run python benchmarks/platform_serving.py {shlex.join(sys.argv[1:])}`  ",
        f"Finished {datetime.now(UTC).isoformat(timespec='seconds')} (UTC).  ",
        f"Machine: {machine}. The machine is shared; other work ran meanwhile.",
        f"Dataset `{args.dataset}` (target `{args.target}`); one-row JSON requests over "
        "loopback to `tunelab serve --workers 0`; load from separate processes "
        f"({args.connections} keep-alive connections, paced).",
        "",
        "Targets (issue 3): LightGBM one row p50 ≤ 5 ms, p99 ≤ 20 ms; ≥ 300 req/s for 60 s "
        "with zero errors; listings < 200 ms.",
        "",
        "| model | final kind | sequential p50 | sequential p99 | load: req/s | "
        "load p50 | load p99 | requests | errors | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s, ld = row["seq"], row["load"]
        lines.append(
            f"| {row['model']} | {row['kind']} | {s['p50_ms']} ms | {s['p99_ms']} ms | "
            f"{ld['throughput']} | {ld['p50_ms']} ms | {ld['p99_ms']} ms | {ld['requests']} | "
            f"{ld['errors']} | {ld['seconds']} |"
        )
    lines += ["", "| request | median | p95 | max |", "|---|---:|---:|---:|"]
    for name, value in lists.items():
        lines.append(
            f"| {name} | {value['median_ms']} ms | {value['p95_ms']} ms | {value['max_ms']} ms |"
        )
    lines += [
        "",
        "Sequential: one client process, one keep-alive connection, one request at a time "
        "(client-side wall time, includes HTTP).",
        f"Load: {args.rate:.0f} requests/s in total, paced; an error is any non-200 answer or "
        "a connection failure.",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
