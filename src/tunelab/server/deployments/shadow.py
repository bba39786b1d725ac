"""Shadow traffic: copies of requests answered off the response path and logged.

The copies are answered in a separate process (started on the first copy) at the lowest
CPU priority (nice 19), so a shadow model's Python work never holds the serving process's
interpreter lock and, on a busy machine, gets the CPU only when requests leave it idle
(copies it cannot keep up with are dropped and counted). A thread of the serving process
answering them added ~1.3 ms to the caller's p50 (docs/benchmarks/protocols-2026-12-08.md).
The server process only queues each copy (one pickle) and logs the answers a small thread
receives.
"""

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from typing import Any

from tunelab.server.deployments.routing import Route
from tunelab.server.predictor import PredictorCache

log = logging.getLogger(__name__)

# (deployment id, records, [(label, model id, bundle folder)])
Copy = tuple[str, list[dict[str, Any]], list[tuple[str, str, str]]]


def _answer_copies(commands: Any, answers: Any) -> None:
    """The shadow process: loads each bundle once (with its fast plan) and answers copies."""
    import warnings

    from tunelab.bundles import load_bundle
    from tunelab.server.deployments.fastpath import build_fast_plan
    from tunelab.server.predictor import Predictor

    warnings.simplefilter("ignore")
    with contextlib.suppress(OSError):  # the lowest CPU priority: requests come first
        os.nice(19)
    loaded: dict[str, Predictor] = {}
    while (item := commands.get()) is not None:
        deployment_id, records, routes = item
        for label, model_id, folder in routes:
            started = time.perf_counter()
            try:
                predictor = loaded.get(folder)
                if predictor is None:
                    bundle = load_bundle(folder)
                    fields = frozenset(c.name for c in bundle.schema)
                    predictor = Predictor(deployment_id, model_id, bundle, fields)
                    if bundle.task.is_supervised:
                        predictor.plan = build_fast_plan(bundle, predictor.generic_output)
                    loaded[folder] = predictor
                    started = time.perf_counter()
                out, error = predictor.predict(records), ""
            except Exception as exc:  # reported to the server, which counts it
                out, error = None, f"{type(exc).__name__}: {exc}"
            latency_ms = (time.perf_counter() - started) * 1000.0
            answers.put((deployment_id, label, model_id, records, out, latency_ms, error))


class ShadowRunner:
    """Answers shadow copies in a child process from a bounded queue; their answers go to
    the prediction log (``shadow=True``) and never to the caller. When the queue is full a
    copy is dropped (counted), never the live request."""

    def __init__(self, predictors: PredictorCache, maxsize: int = 1000) -> None:
        self.predictors = predictors
        self.maxsize = maxsize
        self.dropped = 0
        self.failed = 0
        self._sent = 0  # route answers asked for
        self._done = 0  # route answers logged or failed
        self._done_changed = threading.Condition()
        self._start_lock = threading.Lock()
        self._process: Any = None
        self._commands: Any = None
        self._answers: Any = None
        self._receiver: threading.Thread | None = None

    def _started(self) -> bool:
        if self._process is not None and self._process.is_alive():
            return True
        with self._start_lock:
            if self._process is not None and self._process.is_alive():
                return True
            if self._process is not None:  # it died: its copies will never be answered
                log.warning("shadow process exited (%s); starting another", self._process.exitcode)
                with self._done_changed:
                    self.failed += self._sent - self._done
                    self._done = self._sent
                    self._done_changed.notify_all()
            ctx = mp.get_context("spawn")  # never fork a threaded server
            self._commands, self._answers = ctx.Queue(self.maxsize), ctx.Queue()
            self._process = ctx.Process(
                target=_answer_copies,
                args=(self._commands, self._answers),
                name="tunelab-shadow",
                daemon=True,
            )
            self._process.start()
            self._receiver = threading.Thread(
                target=self._receive, args=(self._answers,), name="shadow-log", daemon=True
            )
            self._receiver.start()
            return True

    def submit(
        self, deployment_id: str, records: list[dict[str, Any]], routes: tuple[Route, ...]
    ) -> None:
        folders = [(r.label, r.predictor.model_id, str(r.predictor.bundle.path)) for r in routes]
        self._started()
        with self._done_changed:
            self._sent += len(folders)
        try:
            self._commands.put_nowait((deployment_id, records, folders))
        except queue.Full:
            with self._done_changed:
                self.dropped += 1
                self._done += len(folders)
                self._done_changed.notify_all()

    def _receive(self, answers: Any) -> None:
        while (item := answers.get()) is not None:
            deployment_id, label, model_id, records, out, latency_ms, error = item
            try:
                if error:
                    self.failed += 1
                    log.warning("shadow %s of %s failed: %s", label, deployment_id, error)
                elif self.predictors.log is not None:
                    self.predictors.log.record(
                        deployment_id,
                        inputs=records,
                        outputs=out,
                        latency_ms=latency_ms,
                        model=label,
                        model_id=model_id,
                        shadow=True,
                    )
            finally:
                with self._done_changed:
                    self._done += 1
                    self._done_changed.notify_all()

    def flush(self, timeout: float = 120.0) -> None:
        """Wait until every queued copy is answered and handed to the log (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._done_changed:
            while self._done < self._sent:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._sent - self._done} shadow copies unanswered")
                self._done_changed.wait(min(left, 0.5))

    def close(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(queue.Full):
            self._commands.put(None, timeout=5)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
        self._answers.put(None)
        if self._receiver is not None:
            self._receiver.join(timeout=10)
