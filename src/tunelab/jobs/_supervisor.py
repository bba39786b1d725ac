"""Keeps N local worker processes alive: reaps, restarts with back-off, reports their health.

``tunelab serve --workers N`` runs one ``WorkerSupervisor``. Its thread starts the workers
(each the leader of its own process group) and checks them twice a second. A worker that
exited is reaped, whatever is left of its process group (job and trial processes) is
killed, its leases are ended so the replacement takes its job over at once, and a new
worker is started: at once after a crash following a long run, after an exponentially
growing, capped delay when it crashed soon after starting; after ``max_fast_crashes`` fast
crashes in a row the slot is given up (and reported). Every event is logged.
"""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# (worker id, heartbeat file) -> the command line of a worker process
CommandFactory = Callable[[str, Path], list[str]]


@dataclass
class WorkerSlot:
    """One of the N workers: its current process and its history."""

    index: int
    heartbeat_file: Path
    worker_id: str = ""
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    fast_crashes: int = 0
    next_start: float = 0.0
    gave_up: bool = False
    last_exit: str = ""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exited with code {code}"


class WorkerSupervisor:
    """Starts ``n`` workers from ``command`` and keeps them running until ``stop()``."""

    def __init__(
        self,
        n: int,
        command: CommandFactory,
        run_dir: Path,
        *,
        on_exit: Callable[[str], None] | None = None,
        env: dict[str, str] | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        fast_crash_seconds: float = 30.0,
        max_fast_crashes: int = 5,
        stale_after: float = 120.0,
        check_interval: float = 0.5,
        stop_timeout: float = 30.0,
    ) -> None:
        self.command = command
        self.on_exit = on_exit
        self.env = env
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.fast_crash_seconds = fast_crash_seconds
        self.max_fast_crashes = max_fast_crashes
        self.stale_after = stale_after
        self.check_interval = check_interval
        self.stop_timeout = stop_timeout
        run_dir.mkdir(parents=True, exist_ok=True)
        self.slots = [WorkerSlot(i, run_dir / f"worker-{i}.beat") for i in range(n)]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers and the supervising thread (which also forks every worker: the
        workers die with that thread, see ``tunelab._lifeline``)."""
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every worker (SIGTERM: running jobs go back to the queue), then the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                for slot in self.slots:
                    try:
                        self._check(slot)
                    except Exception:
                        log.exception("supervising worker %d failed", slot.index)
                self._stop.wait(self.check_interval)
        finally:
            self._terminate_all()

    # -- one slot --------------------------------------------------------------------------
    def _check(self, slot: WorkerSlot) -> None:
        now = time.monotonic()
        if slot.process is not None:
            code = slot.process.poll()
            if code is None:
                return
            self._reaped(slot, code, now)
        if not slot.gave_up and now >= slot.next_start:
            self._spawn(slot, now)

    def _spawn(self, slot: WorkerSlot, now: float) -> None:
        worker_id = f"{socket.gethostname()}:{os.getpid()}.{slot.index}:{uuid.uuid4().hex[:6]}"
        slot.heartbeat_file.touch()
        process = subprocess.Popen(
            self.command(worker_id, slot.heartbeat_file),
            env=self.env,
            start_new_session=True,  # its own process group: reaped as a whole
        )
        with self._lock:
            slot.process, slot.worker_id, slot.started_at = process, worker_id, now
        log.info("worker %d started (pid %d, id %s)", slot.index, process.pid, worker_id)

    def _reaped(self, slot: WorkerSlot, code: int, now: float) -> None:
        assert slot.process is not None
        pid, uptime = slot.process.pid, now - slot.started_at
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # job and trial processes it left behind
        if self.on_exit is not None:
            try:
                self.on_exit(slot.worker_id)
            except Exception:
                log.exception("releasing the jobs of worker %s failed", slot.worker_id)
        fast = uptime < self.fast_crash_seconds
        with self._lock:
            slot.process = None
            slot.last_exit = describe_exit(code)
            slot.fast_crashes = slot.fast_crashes + 1 if fast else 0
            if slot.fast_crashes >= self.max_fast_crashes:
                slot.gave_up = True
            delay = 0.0
            if fast:
                delay = min(self.backoff_base * 2 ** (slot.fast_crashes - 1), self.backoff_max)
            slot.next_start = now + delay
            if not slot.gave_up:
                slot.restarts += 1
        if slot.gave_up:
            log.error(
                "worker %d (pid %d) %s after %.1f s: %d crashes within %.0f s of starting in a "
                "row; not restarting it (restart tunelab serve once the cause is fixed)",
                slot.index,
                pid,
                slot.last_exit,
                uptime,
                slot.fast_crashes,
                self.fast_crash_seconds,
            )
        else:
            log.warning(
                "worker %d (pid %d) %s after %.1f s; restarting it in %.1f s (restart %d)",
                slot.index,
                pid,
                slot.last_exit,
                uptime,
                delay,
                slot.restarts,
            )

    def _terminate_all(self) -> None:
        running = [s.process for s in self.slots if s.process is not None]
        for process in running:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %d did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    # -- health ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Workers expected and alive, and per worker: pid, heartbeat age, restarts, last exit.

        A worker counts as alive when its process runs and its heartbeat is younger than
        ``stale_after`` seconds.
        """
        now = time.monotonic()
        workers: list[dict[str, Any]] = []
        with self._lock:
            for slot in self.slots:
                running = slot.alive
                age = None
                if running:
                    with contextlib.suppress(OSError):
                        age = max(0.0, time.time() - slot.heartbeat_file.stat().st_mtime)
                workers.append(
                    {
                        "slot": slot.index,
                        "worker_id": slot.worker_id,
                        "pid": slot.process.pid if slot.process is not None else None,
                        "alive": running and age is not None and age < self.stale_after,
                        "running": running,
                        "heartbeat_age_seconds": None if age is None else round(age, 1),
                        "uptime_seconds": round(now - slot.started_at, 1) if running else None,
                        "restarts": slot.restarts,
                        "last_exit": slot.last_exit,
                        "gave_up": slot.gave_up,
                    }
                )
        return {
            "expected": len(self.slots),
            "alive": sum(1 for w in workers if w["alive"]),
            "restarts": sum(int(w["restarts"]) for w in workers),
            "workers": workers,
        }
