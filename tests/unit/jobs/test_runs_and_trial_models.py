"""Runs kept apart through the real AutoML job, and a trial refitted as a model of its own."""

import numpy as np
import pandas as pd
import pytest

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import ExperimentStatus, JobKind, JobStatus
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore


def _dataset(store: MetadataStore, artifacts: ArtifactStore, n: int = 120) -> str:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "z": rng.normal(size=n).round(3)})
    frame["label"] = np.where(frame["x"] + 0.3 * frame["z"] > 0, "yes", "no")
    info = artifacts.put_bytes("datasets/r/table.csv", frame.to_csv(index=False).encode())
    return store.add_dataset(
        name="table.csv", source="upload", uri=info.key, size_bytes=info.size, sha256=info.sha256
    ).id


def _start_and_run(worker: Worker, store: MetadataStore, experiment_id: str) -> dict:
    """What ``POST /start`` does (open the next run, enqueue its job), then the job."""
    store.transition_experiment(
        experiment_id,
        to=ExperimentStatus.RUNNING,
        allowed_from=[ExperimentStatus.READY, ExperimentStatus.FINISHED],
    )
    run = store.latest_run_number(experiment_id)
    job = store.enqueue_job(JobKind.AUTOML, {"experiment_id": experiment_id, "run": run})
    store.update_experiment(experiment_id, job_id=job.id)
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.result is not None
    return done.result


@pytest.fixture
def two_runs(worker: Worker, store: MetadataStore, artifacts: ArtifactStore) -> tuple[str, dict]:
    dataset_id = _dataset(store, artifacts)
    settings = {
        "max_trials": 3,
        "time_budget": 60,
        "algorithms": ["logistic_regression", "decision_tree"],
        "split": {"kind": "holdout", "ratios": [0.6, 0.2, 0.2]},
    }
    experiment = store.create_experiment(dataset_id=dataset_id, target="label", settings=settings)
    first = _start_and_run(worker, store, experiment.id)
    store.update_experiment(
        experiment.id, settings_patch={"max_trials": 2, "split": {"kind": "cv", "folds": 3}}
    )
    second = _start_and_run(worker, store, experiment.id)
    return experiment.id, {1: first, 2: second}


def test_run_again_keeps_each_runs_trials_settings_and_model_apart(
    two_runs: tuple[str, dict], store: MetadataStore, artifacts: ArtifactStore
) -> None:
    experiment_id, results = two_runs
    runs = store.list_runs(experiment_id)
    assert [r.number for r in runs] == [2, 1]
    latest, first = runs
    assert (first.settings["split"]["kind"], latest.settings["split"]["kind"]) == ("holdout", "cv")
    assert (first.model_id, latest.model_id) == (results[1]["model_id"], results[2]["model_id"])
    assert all(r.status is ExperimentStatus.FINISHED and r.finished_at for r in runs)
    assert store.count_trials(experiment_id, run=1) == 3
    assert store.count_trials(experiment_id, run=2) == 2
    assert store.count_trials(experiment_id) == 2  # the latest run by default
    assert [t.run for t in store.list_trials(experiment_id)] == [2, 2]
    first_scores = {t.number: t.score for t in store.list_trials(experiment_id, run=1)}
    assert set(first_scores) == {0, 1, 2}  # run 2's trials 0-1 replaced none of them
    assert store.trial_summaries([experiment_id])[experiment_id][0] == 2
    assert all(t.host for t in store.list_trials(experiment_id, run=1))  # where each ran
    # each run's split is saved apart: holdout has a valid part, 3-fold CV none
    assert artifacts.exists(f"experiments/{experiment_id}/runs/1/splits/valid.csv")
    assert not artifacts.exists(f"experiments/{experiment_id}/runs/2/splits/valid.csv")
    assert store.get_model(results[1]["model_id"]).metrics["run"] == 1


def test_a_trial_refitted_as_its_own_model_matches_its_leaderboard_row(
    two_runs: tuple[str, dict], worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    from tunelab.server.experiments import service

    experiment_id, _ = two_runs
    trial = next(t for t in store.list_trials(experiment_id, run=1) if t.status == "ok")
    asked = service.trial_model(store, experiment_id, 1, trial.number)
    assert asked["status"] == "queued"
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.SUCCEEDED, done.error
    model = store.get_model(asked["model_id"])
    assert model.metrics["run"] == 1
    assert model.metrics["trial"] == trial.number
    assert model.metrics["materialised"] == "refit"
    assert f"trial {trial.number} ({trial.family})" in model.name
    assert artifacts.exists(f"{model.uri}/manifest.json")
    best = model.metrics["best"]
    assert best["family"] == trial.family
    # the same configuration on the same split and seed scores as its leaderboard row did
    assert best["score"] == pytest.approx(trial.score, rel=1e-6)
    again = service.trial_model(store, experiment_id, 1, trial.number)
    assert again == {"model_id": model.id, "job_id": None, "status": "ready"}


def test_a_trial_model_uses_the_column_settings_its_run_started_with(
    two_runs: tuple[str, dict], worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    from tunelab.server.experiments import service

    experiment_id, _ = two_runs
    experiment = store.get_experiment(experiment_id)
    key = f"experiments/{experiment_id}/runs/1/column_settings.json"
    assert artifacts.read_bytes(key) == b"{}"  # recorded at the run's start: none were set
    # later the user drops the column that carries the signal: run 1's trials did not
    store.update_dataset(experiment.dataset_id, column_settings={"x": {"use": False}})
    trial = next(t for t in store.list_trials(experiment_id, run=1) if t.status == "ok")
    asked = service.trial_model(store, experiment_id, 1, trial.number)
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.SUCCEEDED, done.error
    best = store.get_model(asked["model_id"]).metrics["best"]
    assert best["score"] == pytest.approx(trial.score, rel=1e-6)
