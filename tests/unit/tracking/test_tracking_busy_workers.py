"""``busy_workers``: the workers holding a live lease on a running job."""

import time

from tunelab.entities.platform import JobStatus
from tunelab.tracking import MetadataStore


def test_busy_workers_are_the_owners_of_live_leases(store: MetadataStore) -> None:
    assert store.busy_workers() == []
    for _ in range(3):
        store.enqueue_job("automl", {})
    first = store.claim_next_job("w1", lease_seconds=30)
    second = store.claim_next_job("w2", lease_seconds=30)
    assert first is not None
    assert second is not None
    assert store.busy_workers() == ["w1", "w2"]

    store.finish_job(first.id, "w1", JobStatus.SUCCEEDED, result={})
    assert store.busy_workers() == ["w2"]


def test_a_worker_whose_lease_expired_is_not_busy(store: MetadataStore) -> None:
    store.enqueue_job("automl", {})
    assert store.claim_next_job("dead", lease_seconds=0.05) is not None
    time.sleep(0.2)
    assert store.busy_workers() == []
