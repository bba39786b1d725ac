"""A worker killed with SIGKILL mid-AutoML: another worker takes the job over and resumes it.

Real processes: ``tunelab serve --workers 0`` (web API) and ``tunelab worker`` processes on a
SQLite store + local artifacts in one home folder, with a 3-second lease.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from platform_helpers import Server

from tunelab.client import Client

LEASE_ENV = {"TUNELAB_LEASE_SECONDS": "3"}
QUEUE_EVENTS = {"queued", "claimed", "lease_expired", "succeeded", "failed"}


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes started by the test (each in its own process group), stopped after."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # trial processes a SIGKILLed worker left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _start_worker(home: Path, name: str) -> subprocess.Popen[bytes]:
    log = (home / f"worker-{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "tunelab.cli.platform_cmd", "worker", "--home", str(home)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **LEASE_ENV},
        start_new_session=True,
    )


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_sigkilled_worker_automl_job_resumes_with_a_complete_leaderboard(
    serve: Server,
    workers: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    test_data: Path,
) -> None:
    client: Client = serve(workers=0, env=LEASE_ENV)
    first = _start_worker(tmp_path, "first")
    workers.append(first)
    dataset_id = client.upload_dataset(test_data / "blood-transfusion.parquet")
    client.wait_job(client._call("GET", "/jobs")["items"][0]["id"], timeout=120)
    # the budget spans both attempts: enough is left after the kill for new trials
    experiment_id = client.create_experiment(dataset_id, "whether2007", time_budget=30)
    job_id = client.start_experiment(experiment_id)["job_id"]

    _wait_for(lambda: len(client.leaderboard(experiment_id)) >= 3, 120, "three trials")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    before = {t["number"]: t for t in client.leaderboard(experiment_id)}
    assert client.get_job(job_id)["status"] == "running"  # nobody told the queue
    assert client.get_experiment(experiment_id)["status"] == "running"

    workers.append(_start_worker(tmp_path, "second"))
    finished = client.wait_experiment(experiment_id, timeout=240, poll=0.5)
    assert finished["status"] == "finished", finished["error"]
    job = client.wait_job(job_id, timeout=60)
    assert job["status"] == "succeeded"
    assert job["attempts"] == 2
    kinds = [e["kind"] for e in client.events(job_id) if e["kind"] in QUEUE_EVENTS]
    assert kinds == ["queued", "claimed", "lease_expired", "claimed", "succeeded"]

    board = client.leaderboard(experiment_id)
    numbers = [t["number"] for t in board]
    assert len(numbers) == len(set(numbers))  # no duplicate trial numbers
    after = {t["number"]: t for t in board}
    for number, trial in before.items():  # every trial recorded before the kill is kept
        assert after[number]["family"] == trial["family"]
        assert after[number]["score"] == trial["score"]
        assert after[number]["params"] == trial["params"]
    assert set(after) - set(before), "the resumed search ran no new trial"
    assert sorted(after) == list(range(len(after)))  # numbering continued without gaps
    announced = [e["data"]["number"] for e in client.events(job_id, kinds=["trial_end"])]
    assert sorted(announced) == sorted(after)  # restored trials were not announced again

    model = client.get_model(finished["best_model_id"])
    assert model["experiment_id"] == experiment_id
    deployment_id = client.deploy(finished["best_model_id"])
    row = {"recency": 2, "frequency": 10, "monetary": 2500, "time": 40}
    sample = client.predict(deployment_id, [row])
    assert len(sample["predictions"]) == 1
