"""A real worker process enforces its limits on each job and lives on to take the next one:
a job over its memory limit fails naming the limit and step; a job that ignores a cancel is
killed (with its grandchild) after the grace period."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tunelab.entities.platform import JobStatus
from tunelab.tracking import MetadataStore

HERE = Path(__file__).parent


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(db_url: str, *limits: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(HERE)}
        command = [sys.executable, str(HERE / "step_jobs.py"), db_url, str(tmp_path / "art")]
        process = subprocess.Popen([*command, "limited", *limits], env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_job_over_its_memory_limit_fails_and_the_worker_goes_on(
    tmp_path: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'meta.db'}"
    with MetadataStore(db_url) as store:
        hog = store.enqueue_job("hog", {"max_mb": 4000})
        after = store.enqueue_job("steps", {"n": 3, "delay": 0})
        worker = start_worker(db_url, "300")
        _wait(lambda: store.get_job(after.id).status.is_final, 120, "both jobs")
        failed = store.get_job(hog.id)
        assert failed.status is JobStatus.FAILED
        assert failed.error.startswith("memory limit of 300 MB exceeded in step hoarding")
        assert "TUNELAB_JOB_MEMORY_MB" in failed.error
        assert store.get_job(after.id).status is JobStatus.SUCCEEDED  # the same worker...
        assert worker.poll() is None  # ...is still alive
        owners = {e.data.get("worker") for e in store.list_job_events() if e.kind == "claimed"}
        assert owners == {"limited"}


def test_a_job_ignoring_a_cancel_is_killed_with_its_processes(
    tmp_path: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'meta.db'}"
    with MetadataStore(db_url) as store:
        stubborn = store.enqueue_job("stubborn", {})
        worker = start_worker(db_url, "2000", "1")

        def grandchild() -> list[int]:
            return [
                e.data["pid"]
                for e in store.list_job_events(stubborn.id, after_id=0)
                if e.kind == "grandchild"
            ]

        _wait(lambda: bool(grandchild()), 120, "the job to start its grandchild")
        job_process = [p.pid for p in psutil.Process(worker.pid).children()]
        assert len(job_process) == 1
        store.request_cancel(stubborn.id)
        _wait(lambda: store.get_job(stubborn.id).status.is_final, 30, "the cancel")
        assert store.get_job(stubborn.id).status is JobStatus.CANCELLED
        kinds = [e.kind for e in store.list_job_events(stubborn.id)]
        assert "killed" in kinds
        _wait(lambda: all(_gone(pid) for pid in [*job_process, *grandchild()]), 30, "the kill")
        after = store.enqueue_job("steps", {"n": 2, "delay": 0})
        _wait(lambda: store.get_job(after.id).status.is_final, 60, "the next job")
        assert store.get_job(after.id).status is JobStatus.SUCCEEDED
        assert worker.poll() is None
