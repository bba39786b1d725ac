"""A clustering experiment through the REST API: created without a target, run by the
platform's AutoML job (the clustering engine), its candidates as the run's trials and the
chosen clustering as a deployable model with a Clusters page."""

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker

sys.path.insert(0, str(Path(__file__).parents[1] / "clustering"))
from cluster_frames import blobs

SETTINGS = {  # the candidate cap ends the search within seconds; the budget is a backstop
    "time_budget": 30,
    "max_trials": 6,
    "algorithms": ["kmeans", "gaussian_mixture"],
    "clustering": {"n_clusters": "auto", "label": "truth"},
}


def _blobs_csv() -> str:
    return str(blobs(n_rows=90, centers=3).to_csv(index=False))


@pytest.fixture
def dataset_id(client: TestClient, worker: Worker) -> str:
    found = upload(client, _blobs_csv(), "blobs.csv")
    worker.run_once()  # profiled
    return found


def _create(client: TestClient, dataset_id: str, **extra: object) -> str:
    body = {"dataset_id": dataset_id, "task": "clustering", "settings": SETTINGS, **extra}
    response = client.post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_clustering_experiment_runs_and_keeps_a_clustering_model(
    client: TestClient, worker: Worker, dataset_id: str
) -> None:
    experiment_id = _create(client, dataset_id)
    experiment = client.get(f"/api/v1/experiments/{experiment_id}").json()
    assert experiment["task"] == "clustering"
    assert experiment["target"] == ""
    assert "test_ratio" not in experiment["settings"]  # every row is clustered

    started = client.post(f"/api/v1/experiments/{experiment_id}/start")
    assert started.status_code == 202, started.text
    worker.run_once()
    experiment = client.get(f"/api/v1/experiments/{experiment_id}").json()
    assert experiment["status"] == "finished", experiment["error"]
    assert experiment["metric"] == "silhouette"

    board = client.get(f"/api/v1/experiments/{experiment_id}/leaderboard").json()
    assert 1 <= board["total"] <= 6
    assert board["greater_is_better"] is True
    ok = [row for row in board["items"] if row["status"] == "ok"]
    assert ok
    assert {row["family"] for row in board["items"]} <= {"kmeans", "gaussian_mixture"}
    assert {"scaling", "reduction", "k"} <= set(ok[0]["params"])
    scores = [row["score"] for row in ok]
    assert scores == sorted(scores, reverse=True)  # best silhouette first

    model_id = experiment["best_model_id"]
    model = client.get(f"/api/v1/models/{model_id}").json()
    assert model["task"] == "clustering"
    metrics = model["metrics"]
    assert metrics["n_clusters"] == 3  # the blobs' groups
    assert metrics["label_scores"]["adjusted_rand"] >= 0.9
    assert metrics["choice_rule"]
    assert metrics["leaderboard"][0]["rank"] == 1
    row = metrics["leaderboard"][0]
    for key in ("algorithm", "scaling", "reduction", "k", "silhouette"):
        assert key in row
    assert {"calinski_harabasz", "davies_bouldin", "mean_rank"} <= set(row)

    # the trials of a clustering run are candidates, not models of their own
    number = ok[0]["number"]
    refused = client.post(f"/api/v1/experiments/{experiment_id}/runs/1/trials/{number}/model")
    assert refused.status_code == 409

    deployed = client.post("/api/v1/deployments", json={"model_id": model_id})
    assert deployed.status_code == 201, deployed.text
    records = blobs(n_rows=9, centers=3, seed=3).drop(columns=["truth"])
    answer = client.post(
        f"/api/v1/deployments/{deployed.json()['id']}/predict",
        json={"records": records.fillna(0).to_dict(orient="records")},
    )
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["predictions"]) == 9

    model_page = client.get(f"/models/{model_id}")
    assert model_page.status_code == 200
    assert 'data-testid="model-clusters"' in model_page.text
    page = client.get(f"/models/{model_id}/clusters")
    assert page.status_code == 200
    assert 'data-testid="clusters-sizes"' in page.text


def test_clustering_takes_no_target_and_checks_its_options(
    client: TestClient, dataset_id: str
) -> None:
    body = {"dataset_id": dataset_id, "task": "clustering", "target": "x1"}
    refused = client.post("/api/v1/experiments", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "target"

    def create(settings: dict[str, object]) -> dict[str, object]:
        body = {"dataset_id": dataset_id, "task": "clustering", "settings": settings}
        answer = client.post("/api/v1/experiments", json=body)
        assert answer.status_code == 422, answer.text
        return dict(answer.json()["detail"][0])

    assert create({"clustering": {"n_clusters": 11}})["loc"][-1] == "n_clusters"
    assert create({"clustering": {"n_clusters": 1}})["loc"][-1] == "n_clusters"
    assert create({"clustering": {"label": "nope"}})["loc"][-2:] == ["clustering", "label"]
    assert create({"algorithms": ["xgboost"]})["loc"][-1] == "algorithms"

    # a supervised experiment cannot carry clustering options
    body = {"dataset_id": dataset_id, "target": "shade", "settings": SETTINGS}
    assert client.post("/api/v1/experiments", json=body).status_code == 422

    # switching an experiment to clustering clears its target
    made = client.post("/api/v1/experiments", json={"dataset_id": dataset_id, "target": "shade"})
    experiment_id = made.json()["id"]
    patched = client.patch(
        f"/api/v1/experiments/{experiment_id}",
        json={"task": "clustering", "settings": {"clustering": {"n_clusters": 3}}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["target"] == ""
    assert patched.json()["task"] == "clustering"
    assert patched.json()["settings"]["clustering"] == {"n_clusters": 3}


def test_apply_to_keeps_the_task_and_drops_an_absent_evaluation_column(
    client: TestClient, worker: Worker, dataset_id: str
) -> None:
    experiment_id = _create(client, dataset_id)
    other = upload(client, str(blobs(n_rows=40, centers=2).drop(columns=["truth"]).to_csv()))
    worker.run_once()  # profiled
    answer = client.post(
        f"/api/v1/experiments/{experiment_id}/apply-to", json={"dataset_id": other}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["dropped"] == ["clustering.label"]
    applied = client.get(f"/api/v1/experiments/{answer.json()['id']}").json()
    assert applied["task"] == "clustering"
    assert applied["settings"]["clustering"]["n_clusters"] == "auto"
    assert applied["settings"]["clustering"].get("label") is None
