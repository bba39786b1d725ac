"""Web app and REST listing benchmark (issues 3 and 4), apart from prediction serving.

1. Seeds a fresh home straight through the stores (``benchmarks/pages_seed.py``): 100
   experiments, one a real short AutoML run topped up to a 5,000-trial leaderboard, with its
   model evaluated, deployed and a prediction history; EDA of its dataset.
2. Starts ``tunelab serve --workers 0`` on it and times every page's HTML (p50/p95/max over
   ``--requests`` keep-alive GETs after a warm-up; target < 300 ms), with an in-process
   breakdown (SQL statements and time) and a cProfile of any page over target.
3. The live view: trials recorded as the AutoML job does, timed to their arrival on
   ``/api/v1/events/stream`` (target < 1 s) and to the refreshed leaderboard fragment.
4. Grows the store to 1,000 experiments and a 10,000-trial leaderboard; times the REST
   listings (target < 200 ms).
5. A second home with ``--workers 2``: two AutoML runs (~40 s budgets) on shared datasets
   uploaded over the API, ``/api/v1/health`` sampled every 100 ms (target < 50 ms).

Writes ``docs/benchmarks/platform-pages-<date>.md``. Not a test: ``make bench-pages``.

    uv run python benchmarks/platform_pages.py [--requests 20] [--automl-budget 40]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import pages_report  # noqa: E402
from benchmarks.machine import load_average, machine_info  # noqa: E402
from benchmarks.pages_probe import live_latency, sample_health, summarize, time_get  # noqa: E402
from benchmarks.pages_seed import PagesSeed, grow_for_lists, seed_pages, store_url  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
PAGE_TARGET_MS, API_TARGET_MS, HEALTH_TARGET_MS, LIVE_TARGET_MS = 300, 200, 50, 1000
AUTOML_DATASETS = (("electricity", "class"), ("bank-marketing", "y"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(home: Path, workers: int) -> Iterator[str]:
    """``tunelab serve`` as a subprocess on a free port; yields its base URL once healthy."""
    port = _free_port()
    cmd = [str(Path(sys.executable).parent / "tunelab"), "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--home", str(home), "--no-sample"]
    log = (home / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"tunelab serve exited with {proc.returncode}; see {log.name}")
            try:
                answer = httpx.get(base + "/api/v1/health", timeout=2)
                # steady state: wait until the server has loaded its deployments (the pages
                # are slower for those first seconds; measured separately as "startup")
                if answer.status_code == 200 and not answer.json().get("warming"):
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise SystemExit("tunelab serve did not become healthy in 90 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def page_paths(seed: PagesSeed) -> dict[str, str]:
    e = seed.featured_id
    return {
        "/experiments": "/experiments",
        "/experiments/new": "/experiments/new",
        "/experiments/{id}/setup": f"/experiments/{e}/setup",
        "/experiments/{id}/columns": f"/experiments/{e}/columns",
        "/experiments/{id}/preview": f"/experiments/{e}/preview",
        "/experiments/{id}/eda": f"/experiments/{e}/eda",
        "/experiments/{id}/run (5,000 trials)": f"/experiments/{e}/run",
        "/models/{id}": f"/models/{seed.model_id}",
        "/deployments": "/deployments",
        "/deployments/{id}": f"/deployments/{seed.deployment_id}",
    }


def measure(base: str, paths: dict[str, str], n: int, warmup: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as client:
        return {label: time_get(client, path, n=n, warmup=warmup) for label, path in paths.items()}


def pages_phase(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    from benchmarks.pages_profile import breakdown

    print(f"seeding {args.experiments} experiments, {args.trials:,} trials ...", flush=True)
    started = time.perf_counter()
    seed = seed_pages(home, n_experiments=args.experiments, n_trials=args.trials)
    out: dict[str, Any] = {"seed_seconds": round(time.perf_counter() - started, 1)}
    paths = page_paths(seed)
    e = seed.featured_id
    with serve(home, workers=0) as base:
        print("timing the pages ...", flush=True)
        out["pages"] = measure(base, paths, args.requests, args.warmup)
        chart = {
            "run page chart data (leaderboard?limit=5000)": (
                f"/api/v1/experiments/{e}/leaderboard?limit=5000"
            )
        }
        out["page_api"] = measure(base, chart, args.requests, args.warmup)
        slow = tuple(paths[k] for k, v in out["pages"].items() if v["p95"] >= PAGE_TARGET_MS)
        print("in-process breakdown ...", flush=True)
        out["breakdown"] = breakdown(home, list(paths.values()), profile=slow)
        print("live view latency ...", flush=True)
        out["live"] = live_phase(base, home, e, args.live_trials)
        print(f"growing to {args.list_experiments} experiments ...", flush=True)
        big = grow_for_lists(
            home,
            seed.dataset_ids["credit-g"],
            n_experiments=args.list_experiments,
            n_trials=args.list_trials,
        )
        api = {
            f"list {args.list_experiments:,} experiments (limit={args.list_experiments})": (
                f"/api/v1/experiments?limit={args.list_experiments}"
            ),
            "list experiments (default page, limit=50)": "/api/v1/experiments",
            f"{args.list_trials:,}-trial leaderboard (default limit=1000)": (
                f"/api/v1/experiments/{big}/leaderboard"
            ),
            f"{args.list_trials:,}-trial leaderboard (limit={args.list_trials})": (
                f"/api/v1/experiments/{big}/leaderboard?limit={args.list_trials}"
            ),
        }
        print("timing the REST listings ...", flush=True)
        out["api"] = measure(base, api, args.requests, args.warmup)
        extra = {
            f"/experiments with {args.list_experiments:,} experiments": "/experiments",
            f"/experiments/{{id}}/run ({args.list_trials:,} trials)": f"/experiments/{big}/run",
        }
        out["extra_pages"] = measure(base, extra, args.requests, args.warmup)
    return out


def live_phase(base: str, home: Path, experiment_id: str, n: int) -> dict[str, Any]:
    """The experiment running again (a new job, queued: no worker here); trials recorded from
    this process. First with the job's short history (the page opened as the run starts),
    then after 5,000 trials' events (the page opened late in a long run: the browser's
    EventSource sends no ``after_id``, so the server replays the job's whole history)."""
    from benchmarks.pages_seed import insert_trial_events, start_run, trial_records
    from tunelab.tracking import MetadataStore

    with MetadataStore(store_url(home)) as store:
        job_id = start_run(store, experiment_id)
        first = store.count_trials(experiment_id)
        fresh = live_latency(base, store, experiment_id, job_id, n=n, first_number=first)
        history = trial_records(5000, start=first + n, seed=3)
        insert_trial_events(store, job_id, experiment_id, history)
        late = live_latency(
            base, store, experiment_id, job_id, n=n, first_number=first + n + 5000, seed=1
        )
    return {"fresh": fresh, "late": late}


def _upload(client: httpx.Client, name: str) -> str:
    path = DATASETS / f"{name}.parquet"
    with path.open("rb") as handle:
        answer = client.post("/api/v1/datasets", files={"file": (path.name, handle)})
    answer.raise_for_status()
    return str(answer.json()["id"])


def _wait(client: httpx.Client, path: str, done: Any, timeout: float) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        body: dict[str, Any] = client.get(path).json()
        if done(body) or time.time() > deadline:
            return body
        time.sleep(1)


def health_phase(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    """Two AutoML runs on two workers while /api/v1/health is sampled every 100 ms."""
    home.mkdir(parents=True)
    with serve(home, workers=2) as base, httpx.Client(base_url=base, timeout=60) as client:
        ids = []
        for name, target in AUTOML_DATASETS:
            dataset_id = _upload(client, name)
            _wait(client, f"/api/v1/datasets/{dataset_id}", lambda b: b.get("n_rows"), 180)
            body = {"dataset_id": dataset_id, "target": target, "time_budget": args.automl_budget}
            answer = client.post("/api/v1/experiments", json=body)
            answer.raise_for_status()
            ids.append(str(answer.json()["id"]))
        stop = threading.Event()
        samples: list[float] = []
        sampler = threading.Thread(
            target=lambda: samples.extend(sample_health(base, stop)), daemon=True
        )
        sampler.start()
        started = time.perf_counter()
        for experiment_id in ids:
            client.post(f"/api/v1/experiments/{experiment_id}/start").raise_for_status()
        final = []
        for experiment_id in ids:
            final.append(
                _wait(
                    client,
                    f"/api/v1/experiments/{experiment_id}",
                    lambda b: b["status"] not in ("ready", "running"),
                    args.automl_budget * 4 + 60,
                )
            )
        stop.set()
        sampler.join()
        seconds = time.perf_counter() - started
        boards = [
            client.get(f"/api/v1/experiments/{i}/leaderboard?limit=1").json()["total"] for i in ids
        ]
    return {
        "health": summarize(samples),
        "seconds": round(seconds, 1),
        "runs": [
            {"dataset": d[0], "status": f["status"], "trials": n, "error": f.get("error", "")}
            for d, f, n in zip(AUTOML_DATASETS, final, boards, strict=True)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--experiments", type=int, default=100)
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--list-experiments", type=int, default=1000)
    parser.add_argument("--list-trials", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--live-trials", type=int, default=30)
    parser.add_argument("--automl-budget", type=float, default=40.0)
    parser.add_argument("--skip-health", action="store_true", help="skip the AutoML phase")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.requests < 20:
        parser.error("--requests must be at least 20")
    meta: dict[str, Any] = {
        "command": " ".join(["uv run python benchmarks/platform_pages.py", *sys.argv[1:]]),
        "machine": machine_info(),
        "load_start": load_average(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = Path(tempfile.mkdtemp(prefix="tunelab-bench-pages-"))
    try:
        results = pages_phase(args, tmp / "pages")
        meta["load_after_pages"] = load_average()
        if not args.skip_health:
            print("two AutoML runs on 2 workers, sampling health ...", flush=True)
            results["automl"] = health_phase(args, tmp / "automl")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    meta["load_end"] = load_average()
    meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    out = Path(args.out or ROOT / "docs" / "benchmarks" / f"platform-pages-{day}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    targets = (PAGE_TARGET_MS, API_TARGET_MS, HEALTH_TARGET_MS, LIVE_TARGET_MS)
    out.write_text(pages_report.render(meta, results, targets), encoding="utf-8")
    print(pages_report.summary(results, targets))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
