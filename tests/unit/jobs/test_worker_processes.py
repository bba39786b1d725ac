"""Real worker processes: one is killed with SIGKILL mid-job; another takes the job over."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tunelab.entities.platform import JobStatus
from tunelab.tracking import MetadataStore

HERE = Path(__file__).parent


def _start_worker(db_url: str, artifacts: Path, worker_id: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    return subprocess.Popen(
        [sys.executable, str(HERE / "step_jobs.py"), db_url, str(artifacts), worker_id], env=env
    )


def _wait(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_killed_worker_job_is_taken_over_and_resumed(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'meta.db'}"
    store = MetadataStore(db_url)
    job = store.enqueue_job("steps", {"n": 30, "delay": 0.05})
    first = _start_worker(db_url, tmp_path / "artifacts", "first")
    second = None
    try:

        def steps_by(worker: str) -> list[int]:
            events = store.list_job_events(job.id)
            return [
                e.data["step"] for e in events if e.kind == "step" and e.data["worker"] == worker
            ]

        _wait(lambda: len(steps_by("first")) >= 5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert store.get_job(job.id).status is JobStatus.RUNNING  # nobody told the queue
        second = _start_worker(db_url, tmp_path / "artifacts", "second")
        _wait(lambda: store.get_job(job.id).status.is_final)
        finished = store.get_job(job.id)
        assert finished.status is JobStatus.SUCCEEDED
        assert finished.attempts == 2
        assert finished.result is not None
        assert finished.result["steps"] == list(range(30))
        done_before = finished.result["resumed_from"]
        assert done_before >= 5  # nothing the first worker finished was redone...
        assert steps_by("second") == list(range(done_before, 30))  # ...and it went on from there
        kinds = [e.kind for e in store.list_job_events(job.id) if e.kind != "step"]
        assert kinds == ["queued", "claimed", "lease_expired", "claimed", "succeeded"]
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        store.close()


def test_sigterm_stops_an_idle_worker(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'meta.db'}"
    with MetadataStore(db_url) as store:
        job = store.enqueue_job("steps", {"n": 1, "delay": 0})
        worker = _start_worker(db_url, tmp_path / "artifacts", "idle")
        _wait(lambda: store.get_job(job.id).status is JobStatus.SUCCEEDED)  # it is up
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
