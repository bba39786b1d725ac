"""``tunelab serve`` supervises its workers and stops jobs on request (real processes).

A worker killed with SIGKILL mid-AutoML is replaced, ``/health`` reports the dead worker and
the restart, the replacement resumes the experiment from its checkpoint (trials finished
before the kill are kept, not re-run) and no process of the killed worker is left. A stop of
a long AutoML ends the experiment and all of its processes, while the worker lives on.
"""

import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from platform_helpers import Server, make_csv

from tunelab.client import Client

LEASE_ENV = {"TUNELAB_LEASE_SECONDS": "3"}


def _wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _gone(process: psutil.Process) -> bool:
    """Whether ``process`` ended (a zombie awaiting its reaper counts as ended)."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _worker(client: Client) -> dict[str, object]:
    workers = client.health()["workers"]
    assert workers["expected"] == 1
    return dict(workers["workers"][0])


def _descendants(pid: int) -> list[psutil.Process]:
    return list(psutil.Process(pid).children(recursive=True))


def _started_experiment(client: Client, tmp_path: Path, budget: float) -> tuple[str, str]:
    dataset_id = client.upload_dataset(make_csv(tmp_path / "tiny.csv"))
    parse = [j for j in client._call("GET", "/jobs")["items"] if j["kind"] == "parse_profile"]
    client.wait_job(parse[0]["id"], timeout=120)
    experiment_id = client.create_experiment(dataset_id, "label", time_budget=budget)
    return experiment_id, client.start_experiment(experiment_id)["job_id"]


def test_a_sigkilled_worker_is_replaced_and_its_automl_resumes(
    serve: Server, tmp_path: Path
) -> None:
    client = serve("--no-sample", workers=1, env=LEASE_ENV)
    first = _worker(client)
    assert first["running"]
    experiment_id, job_id = _started_experiment(client, tmp_path, budget=20)

    _wait_for(lambda: len(client.leaderboard(experiment_id)) >= 2, 120, "two trials")
    old_pid = int(str(first["pid"]))
    old_processes = _descendants(old_pid)  # its job process and trial processes
    assert old_processes, "the worker runs the job in a child process"
    before = {t["number"]: t for t in client.leaderboard(experiment_id)}
    psutil.Process(old_pid).send_signal(signal.SIGKILL)

    _wait_for(lambda: _worker(client)["pid"] not in (None, old_pid), 60, "a new worker")
    replaced = _worker(client)
    assert replaced["restarts"] == 1
    assert replaced["last_exit"] == "killed by SIGKILL"
    _wait_for(lambda: all(_gone(p) for p in old_processes), 30, "the old processes to end")

    finished = client.wait_experiment(experiment_id, timeout=240, poll=0.5)
    assert finished["status"] == "finished", finished["error"]
    job = client.wait_job(job_id, timeout=60)
    assert (job["status"], job["attempts"]) == ("succeeded", 2)
    after = {t["number"]: t for t in client.leaderboard(experiment_id)}
    for number, trial in before.items():  # kept as they were, not run again
        assert (after[number]["score"], after[number]["params"]) == (
            trial["score"],
            trial["params"],
        )
    ends = [e["data"]["number"] for e in client.events(job_id, kinds=["trial_end"])]
    assert all(ends.count(number) == 1 for number in before), "a finished trial ran again"
    claims = [e["data"]["worker"] for e in client.events(job_id, kinds=["claimed"])]
    assert claims == [first["worker_id"], replaced["worker_id"]]
    health = client.health()
    assert (health["status"], health["workers"]["alive"]) == ("ok", 1)


def test_stopping_a_long_automl_ends_it_and_its_processes(serve: Server, tmp_path: Path) -> None:
    client = serve("--no-sample", workers=1)
    experiment_id, job_id = _started_experiment(client, tmp_path, budget=600)
    _wait_for(lambda: len(client.leaderboard(experiment_id)) >= 1, 120, "a trial")
    worker = _worker(client)
    job_processes = _descendants(int(str(worker["pid"])))
    assert job_processes

    client.stop_experiment(experiment_id)
    stopped = client.wait_experiment(experiment_id, timeout=60, poll=0.5)
    assert stopped["status"] == "stopped"
    assert client.wait_job(job_id, timeout=30)["status"] == "cancelled"
    _wait_for(lambda: all(_gone(p) for p in job_processes), 30, "the job's processes to end")
    assert _worker(client)["pid"] == worker["pid"]  # the worker itself lives on
