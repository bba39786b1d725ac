"""Shadow traffic: copies of requests answered off the response path and logged."""

import logging
import queue
import threading
import time
from typing import Any

from tunelab.server.deployments.routing import Route
from tunelab.server.predictor import PredictorCache

log = logging.getLogger(__name__)


class ShadowRunner:
    """Answers shadow copies on one background thread from a bounded queue; their answers
    go to the prediction log (``shadow=True``) and never to the caller. When the queue is
    full a copy is dropped (counted), never the live request."""

    def __init__(self, predictors: PredictorCache, maxsize: int = 1000) -> None:
        self.predictors = predictors
        self.dropped = 0
        self.failed = 0
        self._queue: queue.Queue[tuple[str, list[dict[str, Any]], tuple[Route, ...]] | None]
        self._queue = queue.Queue(maxsize=maxsize)
        self._thread = threading.Thread(target=self._run, name="shadow-traffic", daemon=True)
        self._thread.start()

    def submit(
        self, deployment_id: str, records: list[dict[str, Any]], routes: tuple[Route, ...]
    ) -> None:
        try:
            self._queue.put_nowait((deployment_id, records, routes))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            deployment_id, records, routes = item
            try:
                for route in routes:
                    self._answer(deployment_id, records, route)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _answer(self, deployment_id: str, records: list[dict[str, Any]], route: Route) -> None:
        started = time.perf_counter()
        try:
            out = route.predictor.predict(records)
        except Exception:
            self.failed += 1
            log.warning("shadow %s of %s failed", route.label, deployment_id, exc_info=True)
            return
        latency_ms = (time.perf_counter() - started) * 1000.0
        if self.predictors.log is not None:
            self.predictors.log.record(
                deployment_id,
                inputs=records,
                outputs=out,
                latency_ms=latency_ms,
                model=route.label,
                model_id=route.predictor.model_id,
                shadow=True,
            )

    def flush(self) -> None:
        """Wait until every queued copy is answered (tests, shutdown)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
