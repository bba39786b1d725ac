"""Where an AutoML job runs its trials: the experiment's executor section against the Ray
clusters the worker was given (``tunelab worker --ray-address``), Ray only when asked for."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_automl_job_settings import _dataset

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import ExperimentStatus, JobStatus
from tunelab.executors import RAY_ADDRESS_ENV
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore


def _start(store: MetadataStore, dataset_id: str, settings: dict[str, object]) -> str:
    experiment = store.create_experiment(dataset_id=dataset_id, target="label", settings=settings)
    store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    job = store.enqueue_job("automl", {"experiment_id": experiment.id})
    store.update_experiment(experiment.id, job_id=job.id)
    return experiment.id


@pytest.mark.parametrize(
    ("configured", "executor", "words"),
    [
        (None, {"kind": "ray"}, "executor.kind: no Ray cluster is configured"),
        ("127.0.0.1:1", {"kind": "ray", "address": "10.1.2.3:6379"}, "executor.address"),
    ],
)
def test_a_cluster_the_worker_was_not_given_fails_the_run_naming_it(
    store: MetadataStore,
    artifacts: ArtifactStore,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    configured: str | None,
    executor: dict[str, str],
    words: str,
) -> None:
    """The worker checks again (its configuration may differ from the server's) and never
    connects anywhere it was not told to."""
    if configured is None:
        monkeypatch.delenv(RAY_ADDRESS_ENV, raising=False)
    else:
        monkeypatch.setenv(RAY_ADDRESS_ENV, configured)
    experiment_id = _start(store, _dataset(store, artifacts), {"executor": executor})
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.FAILED
    experiment = store.get_experiment(experiment_id)
    assert experiment.status is ExperimentStatus.FAILED
    assert words in experiment.error
    ray = sys.modules.get("ray")  # another test of this process may have imported it
    assert ray is None or not ray.is_initialized()  # nothing connected


_LOCAL_RUN = """
import json, os, sys
from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker, default_handlers
from tunelab.tracking import MetadataStore
sys.path.insert(0, {jobs!r})
from test_automl_job_executor import _start
from test_automl_job_settings import _dataset

store = MetadataStore({db!r})
artifacts = ArtifactStore({root!r})
worker = Worker(store, artifacts, default_handlers(), heartbeat_interval=0.1)
dataset_id = _dataset(store, artifacts)
settings = dict(max_trials=1, time_budget=None, algorithms=["logistic_regression"],
                ensemble="none", refit_final=False, cpu_per_trial=2)
out = {{}}
# no cluster configured: the default; a cluster configured: executor.kind local
cases = (("default", None, None), ("local", {{"kind": "local"}}, "127.0.0.1:9"))
for name, executor, configured in cases:
    os.environ.pop({env!r}, None)
    if configured:
        os.environ[{env!r}] = configured
    experiment_id = _start(store, dataset_id, {{**settings, "executor": executor}})
    done = worker.run_once()
    start = [e for e in store.list_job_events(done.id) if e.kind == "run_start"][0]
    out[name] = [done.status.value, start.data["executor"], start.data["threads_per_trial"]]
out["ray_imported"] = "ray" in sys.modules
print(json.dumps(out))
"""


def test_local_jobs_never_import_ray(tmp_path: Path) -> None:
    """Without a cluster, and with ``executor.kind: local`` on a worker that has one (an
    address where nothing listens: connecting would fail the run), the job runs in local
    processes and ``ray`` is never imported: no Ray start-up cost."""
    script = _LOCAL_RUN.format(
        jobs=str(Path(__file__).parent),
        db=f"sqlite:///{tmp_path / 'meta.db'}",
        root=str(tmp_path / "artifacts"),
        env=RAY_ADDRESS_ENV,
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["default"] == ["succeeded", "local", 2]
    assert out["local"] == ["succeeded", "local", 2]
    assert out["ray_imported"] is False
