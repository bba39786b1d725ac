"""The real job handlers, run by an in-process worker on real files and bundles."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
from bundle_factory import save_test_bundle

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import ExperimentStatus, JobStatus
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore


def _dataset(store: MetadataStore, artifacts: ArtifactStore, n: int = 120) -> str:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n).round(3), "color": rng.choice(["red", "blue"], n)}
    )
    frame["label"] = np.where(frame["x"] > 0, "yes", "no")
    info = artifacts.put_bytes("datasets/d/table.csv", frame.to_csv(index=False).encode())
    return store.add_dataset(
        name="table.csv", source="upload", uri=info.key, size_bytes=info.size, sha256=info.sha256
    ).id


def _run(worker: Worker, store: MetadataStore, kind: str, payload: dict) -> dict:
    job = store.enqueue_job(kind, payload)
    done = worker.run_once()
    assert done is not None
    assert done.id == job.id
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.result is not None
    return done.result


def test_deploy_verifies_the_bundle(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    model_id = save_test_bundle(store, artifacts, tmp_path)
    result = _run(worker, store, "deploy", {"model_id": model_id, "name": "champion"})
    deployment = store.get_deployment(result["deployment_id"])
    assert (deployment.model_id, deployment.name, deployment.version) == (model_id, "champion", 1)

    tampered = save_test_bundle(store, artifacts, tmp_path / "other")
    key = f"{store.get_model(tampered).uri}/model.skops"
    artifacts.put_bytes(key, artifacts.read_bytes(key)[:-10] + b"0123456789")
    store.enqueue_job("deploy", {"model_id": tampered})
    failed = worker.run_once()
    assert failed is not None
    assert failed.status is JobStatus.FAILED
    assert "model.skops was altered" in failed.error
    assert "BundleError" not in failed.error
    assert store.list_deployments(model_id=tampered) == []


def test_batch_predict_writes_a_csv(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    dataset_id = _dataset(store, artifacts)
    deployment = store.create_deployment(save_test_bundle(store, artifacts, tmp_path))
    result = _run(
        worker, store, "batch_predict", {"deployment_id": deployment.id, "dataset_id": dataset_id}
    )
    out = pd.read_csv(io.BytesIO(artifacts.read_bytes(result["key"])))
    assert result["n_rows"] == len(out) == 120
    assert (out["prediction"] == out["label"]).mean() > 0.9
    assert np.allclose(out["proba_no"] + out["proba_yes"], 1.0)
    table = pd.read_parquet(io.BytesIO(artifacts.read_bytes(result["parquet_key"])))
    assert list(table["prediction"]) == list(out["prediction"])
    job_id = result["key"].split("/")[-1].removesuffix(".csv")
    progress = [e.data for e in store.list_job_events(job_id) if e.kind == "progress"]
    assert progress[-1]["done"] == progress[-1]["total"] == 120


def test_evaluate_scores_a_labelled_dataset(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    dataset_id = _dataset(store, artifacts)
    model_id = save_test_bundle(store, artifacts, tmp_path)
    result = _run(worker, store, "evaluate", {"model_id": model_id, "dataset_id": dataset_id})
    assert result["n_rows"] == 120
    auc = result["metrics"]["roc_auc"]
    assert auc["value"] > 0.9
    assert auc["ci_low"] <= auc["value"] <= auc["ci_high"]


def test_automl_job_records_trials_and_keeps_the_model(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    dataset_id = _dataset(store, artifacts)
    settings = {"max_trials": 2, "time_budget": 60, "algorithms": ["logistic_regression"]}
    experiment = store.create_experiment(dataset_id=dataset_id, target="label", settings=settings)
    store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    result = _run(worker, store, "automl", {"experiment_id": experiment.id})
    done = store.get_experiment(experiment.id)
    assert done.status is ExperimentStatus.FINISHED
    assert (done.task, done.metric, done.best_model_id) == (
        "binary",
        "roc_auc",
        result["model_id"],
    )
    trials = store.list_trials(experiment.id)
    assert [t.family for t in trials] == ["logistic_regression"] * 2
    assert all(t.score is not None for t in trials)
    model = store.get_model(result["model_id"])
    assert artifacts.exists(f"{model.uri}/manifest.json")
    assert model.experiment_id == experiment.id


def test_automl_job_failure_marks_the_experiment(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    dataset_id = _dataset(store, artifacts)
    experiment = store.create_experiment(dataset_id=dataset_id, target="nope")
    store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    store.enqueue_job("automl", {"experiment_id": experiment.id})
    failed = worker.run_once()
    assert failed is not None
    assert failed.status is JobStatus.FAILED
    got = store.get_experiment(experiment.id)
    assert got.status is ExperimentStatus.FAILED
    assert "'nope'" in got.error


def test_batch_predict_of_a_clustering_bundle_writes_the_cli_columns(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    import tunelab
    from tunelab.bundles import load_bundle
    from tunelab.clustering import cluster_assignments

    dataset_id = _dataset(store, artifacts)
    frame = pd.read_csv(io.BytesIO(artifacts.read_bytes(store.get_dataset(dataset_id).uri)))
    engine = tunelab.ClusteringAutoML(
        n_clusters=2, algorithms=["kmeans"], max_candidates=1, time_budget=20, seed=0
    ).fit(frame.drop(columns=["label"]))
    folder = engine.save(tmp_path / "clusters")
    artifacts.put_dir("models/clusters", folder)
    model = store.add_model(name="clusters", uri="models/clusters", task=None, metrics={})
    deployment = store.create_deployment(model.id)
    result = _run(
        worker, store, "batch_predict", {"deployment_id": deployment.id, "dataset_id": dataset_id}
    )
    out = pd.read_csv(io.BytesIO(artifacts.read_bytes(result["key"])))
    bundle = load_bundle(folder)
    expected = cluster_assignments(bundle.model, bundle.validate(frame))
    assert "prediction" not in out.columns
    assert out["cluster"].tolist() == expected["cluster"].tolist()
    assert np.allclose(out[["distance_0", "distance_1"]], expected[["distance_0", "distance_1"]])
