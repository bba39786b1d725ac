"""The worker loop in-process: success, failure, cancellation, release on shutdown."""

import threading
import time
from typing import Any

from step_jobs import steps_handler

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import JobStatus
from tunelab.jobs import JOB_KINDS, JobContext, Worker, default_handlers
from tunelab.tracking import MetadataStore


def _failing(ctx: JobContext) -> dict[str, Any]:
    raise RuntimeError(f"broken input in job {ctx.job.kind}")


def _worker(store: MetadataStore, artifacts: ArtifactStore, **kw: Any) -> Worker:
    handlers = {"steps": steps_handler, "fail": _failing}
    return Worker(store, artifacts, handlers, heartbeat_interval=0.05, poll_interval=0.05, **kw)


def test_default_registry_covers_every_kind() -> None:
    assert set(default_handlers()) == set(JOB_KINDS)
    assert {"parse_profile", "automl", "evaluate", "deploy", "batch_predict"} <= set(JOB_KINDS)


def test_a_job_runs_to_success_with_events(store: MetadataStore, artifacts: ArtifactStore) -> None:
    job = store.enqueue_job("steps", {"n": 3, "delay": 0})
    worker = _worker(store, artifacts, worker_id="w1")
    finished = worker.run_once()
    assert finished is not None
    assert finished.status is JobStatus.SUCCEEDED
    assert finished.result == {"steps": [0, 1, 2], "resumed_from": 0}
    events = store.list_job_events(job.id)
    assert [e.kind for e in events] == ["queued", "claimed", "step", "step", "step", "succeeded"]
    assert events[2].data == {"worker": "w1", "step": 0}
    assert worker.run_once() is None


def test_a_handler_error_fails_the_job_with_its_message(
    store: MetadataStore, artifacts: ArtifactStore
) -> None:
    store.enqueue_job("fail", {})
    failed = _worker(store, artifacts).run_once()
    assert failed is not None
    assert failed.status is JobStatus.FAILED
    assert failed.error == "unexpected error: broken input in job fail"  # no class name


def test_only_known_kinds_are_claimed(store: MetadataStore, artifacts: ArtifactStore) -> None:
    other = store.enqueue_job("someone_elses", {})
    assert _worker(store, artifacts).run_once() is None
    assert store.get_job(other.id).status is JobStatus.QUEUED


def test_cancel_stops_a_running_job(store: MetadataStore, artifacts: ArtifactStore) -> None:
    job = store.enqueue_job("steps", {"n": 10_000, "delay": 0.01})
    worker = _worker(store, artifacts)
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(worker.run_once()))
    thread.start()
    while not any(e.kind == "step" for e in store.list_job_events(job.id)):
        time.sleep(0.02)
    store.request_cancel(job.id)
    thread.join(timeout=30)
    assert not thread.is_alive()
    cancelled = store.get_job(job.id)
    assert cancelled.status is JobStatus.CANCELLED
    steps = [e for e in store.list_job_events(job.id) if e.kind == "step"]
    assert 0 < len(steps) < 10_000


def test_stopping_the_worker_gives_the_job_back(
    store: MetadataStore, artifacts: ArtifactStore
) -> None:
    job = store.enqueue_job("steps", {"n": 10_000, "delay": 0.01})
    stop = threading.Event()
    worker = _worker(store, artifacts)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    while not any(e.kind == "step" for e in store.list_job_events(job.id)):
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    released = store.get_job(job.id)
    assert (released.status, released.attempts, released.lease_owner) == ("queued", 0, None)
    assert store.list_job_events(job.id)[-1].kind == "released"
