"""Serving protocols, traffic and explanations against a real ``tunelab serve`` (issue 15).

Starts ``tunelab serve --workers 0 --no-auth`` on 127.0.0.1 (own temporary home), trains two
small LightGBM-only models on examples/data/credit-g.csv (cached in ``--cache``), registers
them as versions 1 and 2 of ``bench`` (aliases ``champion`` -> 1, ``challenger`` -> 2), and
deploys:

- ``plain``: ``bench@champion`` alone;
- ``routed``: weighted routes ``bench@champion`` 90 / ``bench@challenger`` 10;
- ``shadowed``: ``bench@champion`` with ``bench/2`` as a shadow.

Then it measures from separate client processes (closed loop, one keep-alive connection
each), one-row requests:

1. each protocol on ``plain`` (native ``/api/v1/deployments/{id}/predict``, Open Inference
   Protocol v2 ``/v2/models/{name}/infer``, MLflow ``/serve/{name}/invocations``), 1 client
   and 4 concurrent clients, p50/p99;
2. the cost of a weighted route and of a shadow: ``plain``, ``routed`` and ``shadowed`` on
   the native path, measured in interleaved rounds (so the machine's load drifts over all
   three alike) and compared as differences/ratios to ``plain`` within the run;
3. an alias switch under 4 concurrent clients: ``champion`` moved between versions 1 and 2
   every ``--switch-every`` seconds while the clients call ``plain``; every non-200 answer or
   connection error counts as failed;
4. one-row explanations of the default ensemble (``?explain=true`` and
   ``?explain=true&method=lime``), sequential, p50/p99 (the issue's target: < 50 ms p50).

Writes Markdown to ``docs/benchmarks/protocols-<date>.md``. Not a test: ``make
bench-protocols`` (also part of ``make bench``).

    uv run python benchmarks/protocol_latency.py [--seconds 8] [--rounds 4] [--out FILE]
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ensemble_latency import DATA, ROOT
from benchmarks.ensemble_latency import train as train_ensemble
from benchmarks.machine import load_average, machine_info

JSON = {"Content-Type": "application/json"}


# --- models -------------------------------------------------------------------------------


def train_lightgbm(out: Path, seed: int) -> None:
    import pandas as pd

    from tunelab import AutoML

    df = pd.read_csv(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl = AutoML(time_budget=10, algorithms=["lightgbm"], ensemble="none", seed=seed)
        automl.fit(df, target="class")
    automl.save(out)


def bundles(cache: Path, ensemble_budget: float) -> dict[str, Path]:
    made = {"v1": cache / "lgbm-1", "v2": cache / "lgbm-2", "ensemble": cache / "ensemble"}
    for seed, key in ((0, "v1"), (1, "v2")):
        if not (made[key] / "manifest.json").is_file():
            print(f"training {key} (LightGBM only) ...", flush=True)
            train_lightgbm(made[key], seed)
    if not (made["ensemble"] / "manifest.json").is_file():
        print("training the default-style greedy ensemble ...", flush=True)
        train_ensemble(made["ensemble"], ensemble_budget)
    return made


def register(home: Path, bundle: Path, name: str) -> str:
    """Add a bundle to the server's store as a model; its id."""
    from tunelab.artifacts import ArtifactStore
    from tunelab.tracking import MetadataStore

    with MetadataStore(f"sqlite:///{home / 'tunelab.db'}") as store:
        prefix = f"models/{uuid.uuid4().hex}"
        ArtifactStore(str(home / "artifacts")).put_dir(prefix, bundle)
        return store.add_model(name=name, uri=prefix, task=None).id


# --- HTTP ---------------------------------------------------------------------------------


def call(base: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=JSON)
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"tunelab serve exited with {proc.returncode}")
        try:
            call(base, "GET", "/api/v1/health")
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("tunelab serve did not become healthy")


def client(port: int, bodies: dict[str, list[bytes]], commands: Any, results: Any) -> None:
    """A client process: for each command ``(path, body kind, start_at, seconds)`` it sends
    one request at a time on one keep-alive connection (closed loop) from the wall-clock
    time ``start_at`` for ``seconds``, then reports latencies, failures and who answered."""
    while (command := commands.get()) is not None:
        path, kind, start_at, seconds = command
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        failed = 0
        models: dict[str, int] = {}
        time.sleep(max(0.0, start_at - time.time()))
        end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < end:
            body = bodies[kind][i % len(bodies[kind])]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("POST", path, body, JSON)
                response = conn.getresponse()
                raw = response.read()
                if response.status != 200:
                    failed += 1
                elif path.endswith("/predict"):
                    model = str(json.loads(raw).get("model"))
                    models[model] = models.get(model, 0) + 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latencies.append((time.perf_counter() - started) * 1000.0)
        conn.close()
        results.put((latencies, failed, models))


class Clients:
    """Four client processes, started once (never threads of the server's process)."""

    def __init__(self, port: int, bodies: dict[str, list[bytes]], n: int = 4) -> None:
        ctx = mp.get_context("spawn")
        self.results = ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(n)]
        self.procs = [
            ctx.Process(target=client, args=(port, bodies, q, self.results), daemon=True)
            for q in self.commands
        ]
        for proc in self.procs:
            proc.start()

    def run(self, path: str, kind: str, seconds: float, clients: int) -> dict[str, Any]:
        """``clients`` of them at once, starting together."""
        start_at = time.time() + 0.3
        for q in self.commands[:clients]:
            q.put((path, kind, start_at, seconds))
        results = [self.results.get() for _ in range(clients)]
        latencies = [x for lat, _, _ in results for x in lat]
        models: dict[str, int] = {}
        for _, _, seen in results:
            for k, v in seen.items():
                models[k] = models.get(k, 0) + v
        return {
            "latencies": latencies,
            "failed": sum(f for _, f, _ in results),
            "models": models,
            "seconds": seconds,
        }

    def close(self) -> None:
        for q in self.commands:
            q.put(None)
        for proc in self.procs:
            proc.join(timeout=10)


def summary(run: dict[str, Any]) -> dict[str, Any]:
    ms = np.asarray(run["latencies"], dtype=float)
    return {
        "requests": int(ms.size),
        "failed": int(run["failed"]),
        "p50_ms": float(np.percentile(ms, 50)) if ms.size else float("nan"),
        "p90_ms": float(np.percentile(ms, 90)) if ms.size else float("nan"),
        "p99_ms": float(np.percentile(ms, 99)) if ms.size else float("nan"),
        "req_s": ms.size / run["seconds"],
        "models": run.get("models", {}),
    }


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    models: dict[str, int] = {}
    for r in runs:
        for k, v in r["models"].items():
            models[k] = models.get(k, 0) + v
    return {
        "latencies": [x for r in runs for x in r["latencies"]],
        "failed": sum(r["failed"] for r in runs),
        "models": models,
        "seconds": sum(r["seconds"] for r in runs),
    }


# --- request bodies -----------------------------------------------------------------------


def rows(n: int) -> list[dict[str, Any]]:
    import pandas as pd

    df = pd.read_csv(DATA).drop(columns=["class"]).sample(n, random_state=1)
    return list(json.loads(df.to_json(orient="records")))


def native_bodies(records: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps({"records": [r]}).encode() for r in records]


def oip_bodies(records: list[dict[str, Any]], metadata: dict[str, Any]) -> list[bytes]:
    types = {i["name"]: i["datatype"] for i in metadata["inputs"]}
    out = []
    for r in records:
        inputs = [
            {"name": k, "shape": [1], "datatype": types[k], "data": [v]} for k, v in r.items()
        ]
        out.append(json.dumps({"inputs": inputs, "parameters": {"content_type": "pd"}}).encode())
    return out


def mlflow_bodies(records: list[dict[str, Any]]) -> list[bytes]:
    return [
        json.dumps({"dataframe_split": {"columns": list(r), "data": [list(r.values())]}}).encode()
        for r in records
    ]


# --- the parts ----------------------------------------------------------------------------


def protocols(clients_: "Clients", ids: dict[str, str], args: Any) -> Any:
    paths = {
        "native REST": f"/api/v1/deployments/{ids['plain']}/predict",
        "Open Inference Protocol v2": "/v2/models/plain/infer",
        "MLflow invocations": "/serve/plain/invocations",
    }
    keys = {"native REST": "native", "Open Inference Protocol v2": "oip"}
    out: dict[str, dict[int, list[dict[str, Any]]]] = {p: {1: [], 4: []} for p in paths}
    for _ in range(args.rounds):  # interleaved: the load drifts over all protocols alike
        for name, path in paths.items():
            for clients in (1, 4):
                kind = keys.get(name, "mlflow")
                out[name][clients].append(clients_.run(path, kind, args.seconds, clients))
    return {name: {c: summary(merge(r)) for c, r in by.items()} for name, by in out.items()}


def traffic_cost(clients_: "Clients", ids: dict[str, str], args: Any) -> Any:
    out: dict[str, dict[int, list[dict[str, Any]]]] = {
        k: {1: [], 4: []} for k in ("plain", "routed", "shadowed")
    }
    for _ in range(args.rounds):
        for clients in (1, 4):
            for kind in out:
                path = f"/api/v1/deployments/{ids[kind]}/predict"
                out[kind][clients].append(clients_.run(path, "native", args.seconds, clients))
    return {kind: {c: summary(merge(r)) for c, r in by.items()} for kind, by in out.items()}


def alias_switch(base: str, clients_: "Clients", ids: dict[str, str], args: Any) -> Any:
    """4 clients on ``plain`` while ``champion`` moves between versions 1 and 2."""
    moves: list[float] = []
    stop = threading.Event()

    def mover() -> None:
        version = 2
        while not stop.wait(args.switch_every):
            started = time.perf_counter()
            call(base, "PUT", "/api/v1/registry/bench/aliases/champion", {"version": version})
            moves.append((time.perf_counter() - started) * 1000.0)
            version = 3 - version

    thread = threading.Thread(target=mover)
    thread.start()
    try:
        path = f"/api/v1/deployments/{ids['plain']}/predict"
        run = clients_.run(path, "native", args.switch_seconds, 4)
    finally:
        stop.set()
        thread.join()
    call(base, "PUT", "/api/v1/registry/bench/aliases/champion", {"version": 1})
    result = summary(run)
    result["moves"] = len(moves)
    result["move_p50_ms"] = float(np.median(moves)) if moves else float("nan")
    return result


def explanations(base: str, deployment_id: str, records: list[dict[str, Any]], calls: int) -> Any:
    out = {}
    for method in ("shap", "lime"):
        path = f"/api/v1/deployments/{deployment_id}/predict?explain=true&method={method}"
        first = call(base, "POST", path, {"records": records[:1]})  # builds the explainer
        client_ms, server_ms = [], []
        n = calls if method == "shap" else max(10, calls // 4)  # LIME: 200 rows per call
        for i in range(n):
            started = time.perf_counter()
            answer = call(base, "POST", path, {"records": [records[i % len(records)]]})
            client_ms.append((time.perf_counter() - started) * 1000.0)
            server_ms.append(float(answer["latency_ms"]))
        e = first["explanations"][0]
        out[method] = {
            "explanation": {k: e.get(k) for k in ("method", "space", "additive", "fidelity")},
            "client_p50_ms": float(np.percentile(client_ms, 50)),
            "client_p99_ms": float(np.percentile(client_ms, 99)),
            "server_p50_ms": float(np.percentile(server_ms, 50)),
            "calls": n,
        }
    return out


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "bench-protocols")
    parser.add_argument("--ensemble-budget", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement block")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per block")
    parser.add_argument("--switch-seconds", type=float, default=20.0)
    parser.add_argument("--switch-every", type=float, default=0.5)
    parser.add_argument("--explain-calls", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--parts",
        default="protocols,traffic,switch,explain",
        help="comma-separated subset of protocols,traffic,switch,explain",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    made = bundles(args.cache, args.ensemble_budget)
    tmp = Path(tempfile.mkdtemp(prefix="tunelab-bench-protocols-"))
    home = tmp / "home"
    home.mkdir()
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    cmd = [str(Path(sys.executable).parent / "tunelab"), "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "0", "--home", str(home), "--no-sample"]
    cmd += ["--no-auth"]
    load_start = load_average()
    started_at = datetime.now(UTC)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result: dict[str, Any] = {}
    try:
        wait_healthy(base, proc)
        model_ids = {k: register(home, path, f"bench {k}") for k, path in made.items()}
        call(base, "POST", "/api/v1/registry", {"name": "bench"})
        call(base, "POST", "/api/v1/registry", {"name": "explained"})
        for key in ("v1", "v2"):
            call(base, "POST", "/api/v1/registry/bench/versions", {"model_id": model_ids[key]})
        call(
            base,
            "POST",
            "/api/v1/registry/explained/versions",
            {"model_id": model_ids["ensemble"]},
        )
        call(base, "PUT", "/api/v1/registry/bench/aliases/champion", {"version": 1})
        call(base, "PUT", "/api/v1/registry/bench/aliases/challenger", {"version": 2})
        ids = {}
        for name in ("plain", "routed", "shadowed"):
            made_id = call(
                base, "POST", "/api/v1/deployments", {"model": "bench@champion", "name": name}
            )
            ids[name] = made_id["id"]
        ids["explained"] = call(
            base, "POST", "/api/v1/deployments", {"model": "explained/1", "name": "explained"}
        )["id"]
        call(
            base,
            "PUT",
            f"/api/v1/deployments/{ids['routed']}/traffic",
            {
                "routes": [
                    {"model": "bench@champion", "weight": 90},
                    {"model": "bench@challenger", "weight": 10},
                ]
            },
        )
        call(
            base,
            "PUT",
            f"/api/v1/deployments/{ids['shadowed']}/traffic",
            {"routes": [{"model": "bench@champion", "weight": 100}], "shadow": ["bench/2"]},
        )
        records = rows(200)
        bodies = {
            "native": native_bodies(records),
            "oip": oip_bodies(records, call(base, "GET", "/v2/models/plain")),
            "mlflow": mlflow_bodies(records),
        }
        for name in ("plain", "routed", "shadowed"):  # load bundles, learn the fast paths
            for body in bodies["native"][:30]:
                call(base, "POST", f"/api/v1/deployments/{ids[name]}/predict", json.loads(body))
        clients = Clients(port, bodies)
        steps = {
            "protocols": lambda: protocols(clients, ids, args),
            "traffic": lambda: {
                **traffic_cost(clients, ids, args),
                "shadow": call(base, "GET", f"/api/v1/deployments/{ids['shadowed']}/traffic"),
            },
            "switch": lambda: alias_switch(base, clients, ids, args),
            "explain": lambda: explanations(base, ids["explained"], records, args.explain_calls),
        }
        try:
            for part, step in steps.items():
                if part in parts:
                    print(f"{part} ...", flush=True)
                    result[part] = step()
                    print(json.dumps(result[part], default=str), flush=True)
        finally:
            clients.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    result["load_start"], result["load_end"] = load_start, load_average()
    result["started_at"] = started_at
    result["ensemble"] = describe(made["ensemble"])
    write(args, made, result)


def describe(folder: Path) -> str:
    """The ensemble's members and weights, e.g. "a WeightedEnsemble of FoldBag(5 x ...)"."""
    from tunelab.bundles import load_bundle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_bundle(folder).model
    parts = []
    for member, weight in zip(model.members_, model.weights_, strict=True):
        leaves = getattr(member, "estimators_", [member])
        names = {type(getattr(leaf, "estimator_", leaf)).__name__ for leaf in leaves}
        parts.append(f"{weight:.3f} × {len(leaves)} × {'/'.join(sorted(names))}")
    return f"a {type(model).__name__} of " + ", ".join(parts)


def commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip() + (
            " (with uncommitted changes)" if dirty.stdout.strip() else ""
        )
    except OSError:
        return "unknown"


def _ms(x: float) -> str:
    return f"{x:.2f}"


def write(args: Any, made: dict[str, Path], r: dict[str, Any]) -> None:
    day = r["started_at"].strftime("%Y-%m-%d")
    out = args.out or ROOT / "docs" / "benchmarks" / f"protocols-{day}.md"
    m = machine_info()
    lines = [
        f"# Serving protocols, traffic and explanations ({day}, issue 15)",
        "",
        f"**Command:** `uv run python benchmarks/protocol_latency.py {shlex.join(sys.argv[1:])}`"
        " (`make bench-protocols`)  ",
        f"**Date:** {r['started_at'].isoformat(timespec='seconds')} (UTC), commit {commit()}  ",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['os']}, Python "
        f"{m['python']}.  ",
        f"**Load average** (1/5/15 min): {' / '.join(map(str, r['load_start']))} at start, "
        f"{' / '.join(map(str, r['load_end']))} at the end. The machine is shared with other "
        "sessions' work: absolute times are inflated and noisy; read the ratios between rows "
        "measured in the same interleaved rounds.",
        "",
        "Server: `tunelab serve --workers 0 --no-auth` on 127.0.0.1 (one process, predictions "
        "logged as in production). Clients: separate processes, one keep-alive connection "
        "each, closed loop (next request when the answer is in), one-row requests drawn from "
        "200 credit-g rows; client-side wall time including HTTP. "
        f"Blocks of {args.seconds:g} s, {args.rounds} interleaved rounds pooled per row.",
        "",
        "Models: `bench` versions 1 and 2 are LightGBM-only AutoML bundles (10 s budget, "
        f"seeds 0 and 1); `explained/1` is {r['ensemble']} (`benchmarks/ensemble_latency.py` "
        f"recipe, {args.ensemble_budget:g} s budget).",
        "",
    ]
    if "protocols" in r:
        lines += protocol_lines(r)
    if "traffic" in r:
        lines += traffic_lines(r) + shadow_note(r)
    if "switch" in r:
        lines += switch_lines(r, args)
    if "explain" in r:
        lines += explain_lines(r)
    lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    (out.with_suffix(".json")).write_text(json.dumps(r, default=str, indent=1), encoding="utf-8")
    print(f"wrote {out}")


def protocol_lines(r: dict[str, Any]) -> list[str]:
    lines = [
        "## 1. One row through each protocol (`plain` = `bench@champion`)",
        "",
        "| protocol | clients | p50 ms | p99 ms | req/s | requests | failed | p50 / native |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    native = r["protocols"]["native REST"]
    for name, by in r["protocols"].items():
        for clients, s in by.items():
            ratio = s["p50_ms"] / native[clients]["p50_ms"]
            lines.append(
                f"| {name} | {clients} | {_ms(s['p50_ms'])} | {_ms(s['p99_ms'])} | "
                f"{s['req_s']:.0f} | {s['requests']} | {s['failed']} | {ratio:.2f} |"
            )
    return lines


def traffic_lines(r: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## 2. Cost of a weighted route and of a shadow (native REST)",
        "",
        "`routed`: `bench@champion` 90 / `bench@challenger` 10. `shadowed`: `bench@champion` "
        "answers, `bench/2` gets a copy of each request off the response path (logged, never "
        "returned). Target: the shadow adds at most 1 ms to the caller's p99.",
        "",
        "| deployment | clients | p50 ms | p90 ms | p99 ms | Δp50 vs plain | Δp90 | Δp99 | "
        "req/s | requests | failed | answered by |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    plain = r["traffic"]["plain"]
    for kind, by in r["traffic"].items():
        if kind == "shadow":
            continue
        for clients, s in by.items():
            d50 = s["p50_ms"] - plain[clients]["p50_ms"]
            d99 = s["p99_ms"] - plain[clients]["p99_ms"]
            d90 = s["p90_ms"] - plain[clients]["p90_ms"]
            who = ", ".join(f"{k}: {v}" for k, v in sorted(s["models"].items()))
            lines.append(
                f"| {kind} | {clients} | {_ms(s['p50_ms'])} | {_ms(s['p90_ms'])} | "
                f"{_ms(s['p99_ms'])} | {d50:+.2f} | {d90:+.2f} | {d99:+.2f} | {s['req_s']:.0f} | "
                f"{s['requests']} | {s['failed']} | {who} |"
            )
    return lines


def shadow_note(r: dict[str, Any]) -> list[str]:
    shadow = r["traffic"].get("shadow") or {}
    return [
        "",
        "Shadow copies dropped (pipe to the shadow process full) over the whole run: "
        f"{shadow.get('shadow_dropped')}"
        f", failed: {shadow.get('shadow_failed')} (`GET .../traffic`).",
    ]


def switch_lines(r: dict[str, Any], args: Any) -> list[str]:
    sw = r["switch"]
    who = ", ".join(f"{k}: {v}" for k, v in sorted(sw["models"].items()))
    return [
        "",
        "## 3. Alias switch under 4 concurrent clients",
        "",
        f"`champion` moved between versions 1 and 2 every {args.switch_every:g} s "
        f"(`PUT /api/v1/registry/bench/aliases/champion`) for {args.switch_seconds:g} s while 4 "
        "clients called `plain`.",
        "",
        "| moves | move p50 ms | requests | **failed** | p50 ms | p99 ms | answered by |",
        "|---:|---:|---:|---:|---:|---:|---|",
        f"| {sw['moves']} | {_ms(sw['move_p50_ms'])} | {sw['requests']} | **{sw['failed']}** | "
        f"{_ms(sw['p50_ms'])} | {_ms(sw['p99_ms'])} | {who} |",
    ]


def explain_lines(r: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## 4. One-row explanation of the ensemble (`?explain=true`)",
        "",
        "Target (issue 15): one-row explanation of the default ensemble under 50 ms p50. "
        "*server* is the `latency_ms` the answer reports (prediction + explanation inside the "
        "server); *client* adds HTTP and JSON.",
        "",
        "| method | space | additive | calls | server p50 ms | client p50 ms | client p99 ms |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for method, e in r["explain"].items():
        x = e["explanation"]
        lines.append(
            f"| {method} ({x['method']}) | {x['space']} | {x['additive']} | {e['calls']} | "
            f"{_ms(e['server_p50_ms'])} | {_ms(e['client_p50_ms'])} | {_ms(e['client_p99_ms'])} |"
        )
    return lines


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
