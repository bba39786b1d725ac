"""The job queue: atomic claims, leases, heartbeats, cancellation, events."""

import threading
import time

import pytest

from tunelab.entities.platform import JobStatus, LeaseLostError, NotFoundError
from tunelab.tracking import MetadataStore


def test_claims_are_fifo_and_filtered_by_kind(store: MetadataStore) -> None:
    first = store.enqueue_job("profile", {"dataset_id": "a"})
    second = store.enqueue_job("automl", {"experiment_id": "b"})
    claimed = store.claim_next_job("w1", lease_seconds=30, kinds=["automl"])
    assert claimed is not None
    assert claimed.id == second.id
    assert (claimed.status, claimed.lease_owner, claimed.attempts) == (JobStatus.RUNNING, "w1", 1)
    assert claimed.lease_expires_at is not None
    assert claimed.started_at is not None
    again = store.claim_next_job("w2", lease_seconds=30)
    assert again is not None
    assert again.id == first.id
    assert store.claim_next_job("w3", lease_seconds=30) is None


def test_concurrent_workers_never_claim_a_job_twice(db_url: str) -> None:
    with MetadataStore(db_url) as store:
        queued = {store.enqueue_job("evaluate", {"i": i}).id for i in range(12)}
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(owner: str) -> None:
        with MetadataStore(db_url, migrate=False) as own:
            while (job := own.claim_next_job(owner, lease_seconds=60)) is not None:
                with lock:
                    claimed.append((job.id, owner))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [job_id for job_id, _ in claimed]
    assert sorted(ids) == sorted(queued)  # each exactly once


def test_expired_lease_is_taken_over_and_old_owner_is_fenced(store: MetadataStore) -> None:
    job = store.enqueue_job("automl", {}, max_attempts=3)
    assert store.claim_next_job("dead", lease_seconds=0.05) is not None
    time.sleep(0.1)
    taken = store.claim_next_job("alive", lease_seconds=30)
    assert taken is not None
    assert taken.id == job.id
    assert (taken.lease_owner, taken.attempts) == ("alive", 2)
    with pytest.raises(LeaseLostError, match="'dead' no longer holds"):
        store.heartbeat_job(job.id, "dead", lease_seconds=30)
    with pytest.raises(LeaseLostError):
        store.finish_job(job.id, "dead", JobStatus.SUCCEEDED)
    done = store.finish_job(job.id, "alive", JobStatus.SUCCEEDED, result={"model_id": "m"})
    assert (done.status, done.result, done.lease_owner) == (
        JobStatus.SUCCEEDED,
        {"model_id": "m"},
        None,
    )
    kinds = [e.kind for e in store.list_job_events(job.id)]
    assert kinds == ["queued", "claimed", "lease_expired", "claimed", "succeeded"]


def test_a_job_that_keeps_losing_its_worker_fails(store: MetadataStore) -> None:
    job = store.enqueue_job("automl", {}, max_attempts=1)
    assert store.claim_next_job("dead", lease_seconds=0.05) is not None
    time.sleep(0.1)
    assert store.claim_next_job("other", lease_seconds=30) is None
    failed = store.get_job(job.id)
    assert failed.status is JobStatus.FAILED
    assert "lease expired 1 time" in failed.error


def test_heartbeat_extends_the_lease_and_reports_cancel(store: MetadataStore) -> None:
    job = store.enqueue_job("automl", {})
    claimed = store.claim_next_job("w", lease_seconds=1)
    assert claimed is not None
    assert claimed.lease_expires_at is not None
    assert store.heartbeat_job(job.id, "w", lease_seconds=60) is False
    extended = store.get_job(job.id)
    assert extended.lease_expires_at is not None
    assert extended.lease_expires_at > claimed.lease_expires_at
    flagged = store.request_cancel(job.id)
    assert (flagged.status, flagged.cancel_requested) == (JobStatus.RUNNING, True)
    assert store.heartbeat_job(job.id, "w", lease_seconds=60) is True
    assert store.is_cancel_requested(job.id)
    cancelled = store.finish_job(job.id, "w", JobStatus.CANCELLED)
    assert cancelled.finished_at is not None


def test_cancelling_a_queued_job_is_immediate(store: MetadataStore) -> None:
    job = store.enqueue_job("parse_profile", {})
    assert store.request_cancel(job.id).status is JobStatus.CANCELLED
    assert store.claim_next_job("w", lease_seconds=30) is None
    assert store.request_cancel(job.id).status is JobStatus.CANCELLED  # idempotent
    with pytest.raises(NotFoundError, match="job 'nope'"):
        store.request_cancel("nope")


def test_finish_rejects_a_non_final_status(store: MetadataStore) -> None:
    job = store.enqueue_job("deploy", {})
    store.claim_next_job("w", lease_seconds=30)
    with pytest.raises(ValueError, match="not a final"):
        store.finish_job(job.id, "w", JobStatus.QUEUED)


def test_events_page_by_id_across_jobs(store: MetadataStore) -> None:
    a = store.enqueue_job("automl", {})
    b = store.enqueue_job("automl", {})
    mark = store.add_job_event(a.id, "trial_end", {"number": 0, "score": 0.5})
    store.add_job_event(b.id, "trial_end", {"number": 0})
    store.add_job_event(a.id, "best", {"score": 0.5})
    after = store.list_job_events(after_id=mark.id)
    assert [(e.job_id, e.kind) for e in after] == [(b.id, "trial_end"), (a.id, "best")]
    assert [e.kind for e in store.list_job_events(a.id, after_id=mark.id)] == ["best"]
    assert [e.id for e in store.list_job_events(limit=2)] == sorted(
        e.id for e in store.list_job_events(limit=2)
    )
    assert mark.data == {"number": 0, "score": 0.5}
    with pytest.raises(NotFoundError):
        store.add_job_event("nope", "x")
