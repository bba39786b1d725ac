"""Resume across hosts: artifacts on S3 (moto), each worker with its own temporary folder,
the metadata on SQLite or on a real PostgreSQL server.

A worker SIGKILLed mid-AutoML leaves its search checkpoint in the artifact store (mirrored
after every trial); the other worker, which cannot see the first one's local folder, takes
the job over and resumes from the stored checkpoint: trials kept, not re-run.
"""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from platform_helpers import Server
from test_platform_resume import LEASE_ENV, _wait_for, workers  # noqa: F401

from tunelab.artifacts import ArtifactStore
from tunelab.client import Client

UNIT = Path(__file__).resolve().parents[2] / "unit"
sys.path[:0] = [str(UNIT / "artifacts"), str(UNIT / "tracking")]
from moto_s3 import moto_server, s3_options  # noqa: E402
from pg_server import create_database, postgres_server  # noqa: E402


@pytest.fixture
def s3() -> Iterator[tuple[str, dict[str, object]]]:
    with moto_server() as endpoint:
        options = s3_options(endpoint)
        ArtifactStore("s3://resume", options).fs.mkdir("resume")
        yield "s3://resume/lab", options


@pytest.fixture(params=["sqlite", "postgresql"])
def metadata_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The metadata store's URL: a SQLite file, or a fresh PostgreSQL server on loopback."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    with postgres_server() as url:
        yield create_database(url)


def _start_worker(
    home: Path, db: str, artifacts: str, env: dict[str, str], name: str
) -> subprocess.Popen[bytes]:
    temp = home / f"tmp-{name}"  # this worker's own local folders (another "host")
    temp.mkdir()
    log = (home / f"worker-{name}.log").open("wb")
    command = [sys.executable, "-m", "tunelab.cli.platform_cmd", "worker"]
    command += ["--db", db, "--artifacts", artifacts]
    return subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env, "TMPDIR": str(temp)},
        start_new_session=True,
    )


@pytest.mark.slow
def test_worker_on_another_host_resumes_from_the_checkpoint_in_s3(
    serve: Server,
    workers: list[subprocess.Popen[bytes]],  # noqa: F811
    tmp_path: Path,
    test_data: Path,
    s3: tuple[str, dict[str, object]],
    metadata_db: str,
) -> None:
    artifacts, options = s3
    env = {**LEASE_ENV, "TUNELAB_ARTIFACTS_OPTIONS": json.dumps(options)}
    db = metadata_db
    client: Client = serve("--no-sample", "--db", db, "--artifacts", artifacts, workers=0, env=env)
    assert client.health()["database"] == db.split(":")[0].split("+")[0]
    first = _start_worker(tmp_path, db, artifacts, env, "first")
    workers.append(first)
    dataset_id = client.upload_dataset(test_data / "blood-transfusion.parquet")
    client.wait_job(client._call("GET", "/jobs")["items"][0]["id"], timeout=120)
    # a trial budget ends the run: trials are left for the second worker however long the
    # first one took (on a loaded machine a 30 s budget could be spent before the takeover)
    experiment_id = client.create_experiment(
        dataset_id, "whether2007", time_budget=120, max_trials=8
    )
    job_id = client.start_experiment(experiment_id)["job_id"]

    store = ArtifactStore(artifacts, options)
    prefix = f"checkpoints/{experiment_id}/trials"
    _wait_for(lambda: len(store.list(prefix)) >= 3, 120, "three trials in the stored checkpoint")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    stored = {int(Path(k).stem) for k in store.list(prefix)}
    before = {t["number"]: t for t in client.leaderboard(experiment_id)}

    workers.append(_start_worker(tmp_path, db, artifacts, env, "second"))
    finished = client.wait_experiment(experiment_id, timeout=240, poll=0.5)
    assert finished["status"] == "finished", finished["error"]
    assert client.wait_job(job_id, timeout=60)["attempts"] == 2

    after = {t["number"]: t for t in client.leaderboard(experiment_id)}
    for number, trial in before.items():  # kept, unchanged
        assert after[number]["score"] == trial["score"]
        assert after[number]["params"] == trial["params"]
    # the stored trials were restored, not run again: each trial number announced once
    numbers = [e["data"]["number"] for e in client.events(job_id, kinds=["trial_end"])]
    assert len(numbers) == len(set(numbers)), "a trial ran twice"
    assert stored <= set(after)
    assert set(after) - stored, "the resumed search ran no new trial"
    assert store.list(f"checkpoints/{experiment_id}") == []  # dropped once finished
