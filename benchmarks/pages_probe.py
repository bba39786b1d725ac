"""HTTP probes of a running ``tunelab serve``: page/endpoint timings, health sampling while
jobs run, and the delay from a trial's event row to its arrival on the SSE stream."""

from __future__ import annotations

import json
import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


def summarize(values_ms: list[float]) -> dict[str, Any]:
    """n, p50, p95, p99 (nearest rank), max and mean, in ms rounded to 0.1."""
    ordered = sorted(values_ms)
    n = len(ordered)
    if not n:
        return {"n": 0}

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * n) - 1)]

    return {
        "n": n,
        "p50": round(rank(0.50), 1),
        "p95": round(rank(0.95), 1),
        "p99": round(rank(0.99), 1),
        "max": round(ordered[-1], 1),
        "mean": round(sum(ordered) / n, 1),
    }


def time_get(client: httpx.Client, path: str, *, n: int = 20, warmup: int = 3) -> dict[str, Any]:
    """Time ``n`` sequential GETs of ``path`` on a keep-alive client (after ``warmup``).

    Any answer other than 200 is an error (its status is kept); the body is read fully.
    """
    statuses: dict[int, int] = {}
    size = 0
    for _ in range(warmup):
        client.get(path).read()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        size = len(body)
    return {**summarize(times), "bytes": size, "statuses": statuses}


def sample_health(base: str, stop: threading.Event, interval: float = 0.1) -> list[float]:
    """GET /api/v1/health every ``interval`` s until ``stop``; latencies in ms.

    A failed or non-200 answer counts as 10,000 ms so it can never pass unnoticed.
    """
    out: list[float] = []
    with httpx.Client(base_url=base, timeout=10) as client:
        next_at = time.perf_counter()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                ok = client.get("/api/v1/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            out.append((time.perf_counter() - started) * 1000 if ok else 10_000.0)
            next_at += interval
            stop.wait(max(0.0, next_at - time.perf_counter()))
    return out


@dataclass
class StreamReader:
    """Reads ``/api/v1/events/stream`` in a thread (as the Run page's EventSource does) and
    notes when each ``trial_end`` arrives and when the replayed history is done."""

    base: str
    path: str
    last_history_id: int
    arrivals: dict[int, float] = field(default_factory=dict)
    caught_up: threading.Event = field(default_factory=threading.Event)
    caught_up_at: float = 0.0
    events: int = 0
    error: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="sse-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with (
                httpx.Client(base_url=self.base, timeout=httpx.Timeout(10, read=30)) as client,
                client.stream("GET", self.path) as response,
            ):
                event_id, kind = 0, ""
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("id:"):
                        event_id = int(line[3:].strip())
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        self._on_event(event_id, kind, json.loads(line[5:].strip()))
        except Exception as exc:  # reported in the results, never hidden
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._arrived:
                self._arrived.notify_all()

    def _on_event(self, event_id: int, kind: str, payload: dict[str, Any]) -> None:
        now = time.perf_counter()
        self.events += 1
        with self._arrived:
            if kind == "trial_end" and event_id > self.last_history_id:
                self.arrivals[int(payload["data"]["number"])] = now
            if event_id >= self.last_history_id and not self.caught_up.is_set():
                self.caught_up_at = now
                self.caught_up.set()
            self._arrived.notify_all()

    def wait_for(self, number: int, timeout: float) -> float | None:
        """Arrival time (perf_counter) of trial ``number``'s trial_end, or None."""
        deadline = time.perf_counter() + timeout
        with self._arrived:
            while number not in self.arrivals and not self.error:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._arrived.wait(left)
            return self.arrivals.get(number)

    def stop(self) -> None:
        self._stop.set()


def live_latency(
    base: str,
    store: Any,
    experiment_id: str,
    job_id: str,
    *,
    n: int = 30,
    first_number: int,
    seed: int = 0,
) -> dict[str, Any]:
    """Record ``n`` trials as the AutoML job does (trial row, then ``trial_end`` event) and
    time each one's arrival on a subscribed stream, then the leaderboard fragment the page
    fetches on that event. Pauses between trials are random (0.1–1.0 s), so the insertions
    fall at every phase of the server's stream polling."""
    from tunelab.entities.trials import TrialRecord, TrialStatus

    rng = random.Random(seed)
    history = store.list_job_events(job_id, after_id=0, limit=10**9)
    last_id = history[-1].id if history else 0
    reader = StreamReader(base, f"/api/v1/events/stream?job_id={job_id}", last_id)
    reader.start()
    replay_ok = reader.caught_up.wait(120) if last_id else True
    replay_ms = (reader.caught_up_at - reader.started_at) * 1000 if last_id else 0.0
    from_event, from_row, with_fragment, fragment_ms = [], [], [], []
    missing, not_on_board = 0, 0
    with httpx.Client(base_url=base, timeout=30) as client:
        board = f"/experiments/{experiment_id}/run/leaderboard"
        for i in range(n):
            time.sleep(rng.uniform(0.1, 1.0))
            number = first_number + i
            record = TrialRecord(
                number=number,
                family="lightgbm",
                params={"learning_rate": 0.05, "num_leaves": 31},
                status=TrialStatus.OK,
                score=0.995 + i * 1e-5,  # a new best: the row must show on the page
                score_std=0.001,
                fit_time=1.5,
                predict_time=0.02,
            )
            store.record_trial(experiment_id, record)
            row_at = time.perf_counter()
            data = {"experiment_id": experiment_id, "number": number, "family": "lightgbm"}
            store.add_job_event(job_id, "trial_end", {**data, "status": "ok", "slot": 0})
            event_at = time.perf_counter()
            arrived = reader.wait_for(number, timeout=10)
            if arrived is None:
                missing += 1
                continue
            from_event.append((arrived - event_at) * 1000)
            from_row.append((arrived - row_at) * 1000)
            started = time.perf_counter()
            html = client.get(board).text
            done = time.perf_counter()
            fragment_ms.append((done - started) * 1000)
            with_fragment.append((done - event_at) * 1000)
            not_on_board += f'data-trial="{number}"' not in html
    reader.stop()
    return {
        "history_events": len(history),
        "replay_ok": replay_ok,
        "replay_ms": round(replay_ms, 1),
        "event_to_stream": summarize(from_event),
        "row_to_stream": summarize(from_row),
        "fragment": summarize(fragment_ms),
        "event_to_board": summarize(with_fragment),
        "missing": missing,
        "not_on_board": not_on_board,
        "stream_error": reader.error,
    }
