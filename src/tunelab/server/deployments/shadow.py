"""Shadow traffic: copies of requests answered off the response path and logged.

The copies are answered in a separate process (started on the first copy) that runs only
when the CPU is otherwise idle (``SCHED_IDLE``, else nice 19), and that writes its answers
to the prediction log itself, through its own connection to the metadata store. So the
serving process's whole share of a shadow is one JSON encoding and one write to a pipe on
the request's thread: no extra thread of the server wakes per copy, nothing comes back per
answer (the shadow process acknowledges stored copies in batches, for ``flush`` and the
counts). When the pipe is full (the shadow is behind) a copy is dropped and counted, never
the live request. Before this design a thread of the server answered copies (~1.3 ms on
the caller's p50), then a child answered them but the server pickled each copy and logged
each answer (+2.3 ms p99), see docs/benchmarks/protocols-quiet-2026-12-08.md.
"""

import contextlib
import fcntl
import json
import logging
import multiprocessing as mp
import os
import select
import struct
import threading
import time
from typing import Any

from tunelab.server.deployments.routing import Route
from tunelab.server.predictor import PredictorCache

log = logging.getLogger(__name__)

PIPE_BYTES = 1 << 20  # asked for; Linux gives up to /proc/sys/fs/pipe-max-size (1 MiB)
GATHER_SECONDS = 0.05  # the shadow process lets copies accumulate this long per batch


def _plain(value: Any) -> Any:
    """JSON fallback for values a protocol decoded into NumPy scalars or other objects."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def _lowest_priority() -> None:
    """Run only when the CPU would otherwise be idle (requests always come first)."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.nice(19)


def _read_batch(copies: Any, gather: float) -> tuple[list[bytes], bool]:
    """Block for one copy, let more arrive for ``gather`` seconds, take all that came.
    Returns the copies and whether the server closed the pipe."""
    try:
        batch = [copies.recv_bytes()]
    except EOFError:
        return [], True
    time.sleep(gather)
    try:
        while copies.poll(0):
            batch.append(copies.recv_bytes())
    except EOFError:
        return batch, True
    return batch, False


def _answer_copies(copies: Any, acks: Any, database_url: str | None, gather: float) -> None:
    """The shadow process: loads each bundle once (with its fast plan), answers the copies
    of a batch, stores their rows in one transaction, then acknowledges the batch."""
    import warnings

    from tunelab.bundles import load_bundle
    from tunelab.server.deployments.fastpath import build_fast_plan
    from tunelab.server.predictor import Predictor
    from tunelab.tracking import MetadataStore

    warnings.simplefilter("ignore")
    _lowest_priority()
    store = MetadataStore(database_url) if database_url else None
    loaded: dict[str, Predictor] = {}

    def predictor_for(deployment_id: str, model_id: str, folder: str) -> Predictor:
        predictor = loaded.get(folder)
        if predictor is None:
            bundle = load_bundle(folder)
            fields = frozenset(c.name for c in bundle.schema)
            predictor = Predictor(deployment_id, model_id, bundle, fields)
            if bundle.task.is_supervised:
                predictor.plan = build_fast_plan(bundle, predictor.generic_output)
            loaded[folder] = predictor
        return predictor

    closed = False
    while not closed:
        batch, closed = _read_batch(copies, gather)
        rows: list[tuple[str, dict[str, Any]]] = []  # (deployment id, prediction log row)
        answered = failed = 0
        for raw in batch:
            copy = json.loads(raw)
            deployment_id, records = copy["deployment"], copy["records"]
            for label, model_id, folder in copy["routes"]:
                answered += 1
                try:
                    predictor = predictor_for(deployment_id, model_id, folder)
                    started = time.perf_counter()
                    out = predictor.predict(records)
                except Exception as exc:  # counted by the server, never raised to a caller
                    failed += 1
                    log.warning("shadow %s of %s failed: %s", label, deployment_id, exc)
                    continue
                latency_ms = (time.perf_counter() - started) * 1000.0
                row = {"inputs": records, "outputs": out, "latency_ms": latency_ms}
                rows.append((deployment_id, {**row, "model": label, "model_id": model_id}))
        if store is not None and rows:
            try:
                store.add_predictions([(d, {**row, "shadow": True}) for d, row in rows])
            except Exception:  # a database hiccup: these answers are lost, not the process
                log.exception("storing %d shadow predictions failed", len(rows))
                failed += len(rows)
        if answered:
            acks.send_bytes(json.dumps([answered, failed]).encode())
    if store is not None:
        store.engine.dispose()


class ShadowRunner:
    """Answers shadow copies in a child process that logs them itself (``shadow=True``);
    their answers never reach the caller. When the pipe to the child is full a copy is
    dropped (counted), never the live request."""

    def __init__(self, predictors: PredictorCache, gather: float = GATHER_SECONDS) -> None:
        self.predictors = predictors
        self.gather = gather
        self.dropped = 0
        self.failed = 0
        self._sent = 0  # route answers asked for
        self._done = 0  # route answers stored, failed or dropped
        self._done_changed = threading.Condition()
        self._lock = threading.Lock()  # one writer at a time: the space check stays true
        self._process: Any = None
        self._copies: Any = None  # the server's end of the copies pipe (non-blocking)
        self._pending = b""  # the rest of a copy the full pipe took only part of
        self._receiver: threading.Thread | None = None

    def _database_url(self) -> str | None:
        if self.predictors.log is None:  # predictions are not stored on this server
            return None
        return self.predictors.store.engine.url.render_as_string(hide_password=False)

    def _start(self) -> None:
        """(Re)start the child; copies sent to one that died will never be answered."""
        if self._process is not None:
            log.warning("shadow process exited (%s); starting another", self._process.exitcode)
            with self._done_changed:
                self.failed += self._sent - self._done
                self._done = self._sent
                self._done_changed.notify_all()
            self._copies.close()
        ctx = mp.get_context("spawn")  # never fork a threaded server
        copies_out, copies_in = ctx.Pipe(duplex=False)
        acks_out, acks_in = ctx.Pipe(duplex=False)
        with contextlib.suppress(AttributeError, OSError):  # Linux: a roomier pipe
            fcntl.fcntl(copies_in.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        os.set_blocking(copies_in.fileno(), False)
        process = ctx.Process(
            target=_answer_copies,
            args=(copies_out, acks_in, self._database_url(), self.gather),
            name="tunelab-shadow",
            daemon=True,
        )
        process.start()
        copies_out.close()  # the child's ends: closed here so EOF reaches the other side
        acks_in.close()
        self._process, self._copies, self._pending = process, copies_in, b""
        self._receiver = threading.Thread(
            target=self._receive, args=(acks_out,), name="shadow-acks", daemon=True
        )
        self._receiver.start()

    def _write(self, data: bytes) -> bytes:
        """Write what the pipe takes now; return the rest (never blocks)."""
        try:
            written = os.write(self._copies.fileno(), data)
        except BlockingIOError:
            return data
        return data[written:]

    def submit(
        self, deployment_id: str, records: list[dict[str, Any]], routes: tuple[Route, ...]
    ) -> None:
        folders = [(r.label, r.predictor.model_id, str(r.predictor.bundle.path)) for r in routes]
        copy = {"deployment": deployment_id, "records": records, "routes": folders}
        payload = json.dumps(copy, default=_plain, separators=(",", ":")).encode()
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()
            with self._done_changed:
                self._sent += len(folders)
            if self._pending:  # finish the copy the pipe took part of before, if it can now
                self._pending = self._write(self._pending)
            if not self._pending:
                # one frame as ``Connection.recv_bytes`` reads it; a part the pipe cannot take
                # now waits in ``_pending`` and new copies are dropped until it is written
                self._pending = self._write(struct.pack("!i", len(payload)) + payload)
                return
        with self._done_changed:
            self.dropped += 1
            self._done += len(folders)
            self._done_changed.notify_all()

    def _write_pending(self, timeout: float) -> None:
        """Write the rest of a partly written copy, waiting for the child to read."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending and self._process.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the shadow process reads no more copies")
                select.select([], [self._copies.fileno()], [], min(left, 0.5))
                self._pending = self._write(self._pending)

    def _receive(self, acks: Any) -> None:
        while True:
            try:
                answered, failed = json.loads(acks.recv_bytes())
            except (EOFError, OSError):  # the child exited
                return
            with self._done_changed:
                self.failed += failed
                self._done += answered
                self._done_changed.notify_all()

    def flush(self, timeout: float = 120.0) -> None:
        """Wait until every copy sent is answered and stored (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        if self._process is not None:
            self._write_pending(timeout)
        with self._done_changed:
            while self._done < self._sent:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._sent - self._done} shadow copies unanswered")
                if self._process is not None and not self._process.is_alive():
                    raise RuntimeError(f"the shadow process exited ({self._process.exitcode})")
                self._done_changed.wait(min(left, 0.5))

    def close(self) -> None:
        """Close the pipe; the child answers what it has, then exits."""
        if self._process is None:
            return
        with contextlib.suppress(TimeoutError):
            self._write_pending(timeout=10)
        with self._lock:
            self._copies.close()
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
        if self._receiver is not None:
            self._receiver.join(timeout=10)
