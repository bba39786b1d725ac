"""Monitoring through the real app: drift of logged inputs, labels and performance."""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from deployment_bundles import fit_model, frame, held_back_of, register, save
from fastapi.testclient import TestClient
from sklearn.metrics import accuracy_score, roc_auc_score

from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore

FEATURES = ["x", "color", "size"]


def deploy(
    store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path, task: str, name: str
) -> str:
    train = frame(2000, seed=0)  # > 1000 rows: Wasserstein and Jensen-Shannon
    model = fit_model("lightgbm", task, train)
    folder = save(model, task, train, tmp_path / name)
    model_id = register(store, artifacts, folder, name)
    return store.create_deployment(model_id).id


def predict(client: TestClient, deployment_id: str, rows: pd.DataFrame) -> list[dict[str, Any]]:
    answers = []
    for at in range(0, len(rows), 250):
        records = rows.iloc[at : at + 250][FEATURES].to_dict("records")
        response = client.post(
            f"/api/v1/deployments/{deployment_id}/predict", json={"records": records}
        )
        assert response.status_code == 200, response.text
        answers.append(response.json())
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    return answers


@pytest.fixture
def deployment(store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path) -> str:
    return deploy(store, artifacts, tmp_path, "binary", "clf")


def test_held_back_rows_do_not_drift(client: TestClient, deployment: str) -> None:
    predict(client, deployment, frame(1500, seed=1))
    body = client.get(f"/api/v1/deployments/{deployment}/drift").json()
    assert body["status"] == "ok"
    assert body["rows"] == 1500
    assert body["dataset_drift"] is False
    assert [c["name"] for c in body["columns"]] == FEATURES
    assert not any(c["drifted"] for c in body["columns"])
    methods = {c["name"]: c["method"] for c in body["columns"]}
    assert methods == {"x": "wasserstein", "color": "jensenshannon", "size": "wasserstein"}
    assert set(body["columns"][0]) >= {
        "name",
        "kind",
        "method",
        "score",
        "threshold",
        "drifted",
        "missing_share",
        "unseen_categories",
    }
    assert body["prediction"]["drifted"] is False


def test_shifted_column_and_replaced_category_drift(client: TestClient, deployment: str) -> None:
    reference = frame(2000, seed=0)
    rows = frame(1500, seed=1)
    rows["x"] = rows["x"] + 2 * reference["x"].std()
    rows["color"] = rows["color"].replace("red", "purple")
    predict(client, deployment, rows)
    body = client.get(f"/api/v1/deployments/{deployment}/drift").json()
    drifted = {c["name"] for c in body["columns"] if c["drifted"]}
    assert drifted == {"x", "color"}
    color = next(c for c in body["columns"] if c["name"] == "color")
    assert color["unseen_categories"] == ["purple"]
    assert body["drift_share"] == pytest.approx(2 / 3)
    assert body["dataset_drift"] is True


def test_small_windows_say_not_enough_data(client: TestClient, deployment: str) -> None:
    predict(client, deployment, frame(10, seed=2))
    body = client.get(f"/api/v1/deployments/{deployment}/drift").json()
    assert body["status"] == "not_enough_data"
    assert body["rows"] == 10
    assert body["dataset_drift"] is None
    assert all(c["drifted"] is None for c in body["columns"])


def test_time_window_and_settings(client: TestClient, deployment: str) -> None:
    predict(client, deployment, frame(100, seed=3))
    url = f"/api/v1/deployments/{deployment}"
    assert client.get(f"{url}/drift?end=2000-01-01T00:00:00Z").json()["rows"] == 0
    assert client.get(f"{url}/drift?start=2000-01-01T00:00:00Z").json()["rows"] == 100
    bad = client.get(f"{url}/drift?start=yesterday")
    assert bad.status_code == 422
    settings = {"drift_share": 0.3, "min_rows": 200, "columns": {"x": {"threshold": 0.5}}}
    assert client.put(f"{url}/monitoring/settings", json=settings).status_code == 200
    body = client.get(f"{url}/drift").json()
    assert body["status"] == "not_enough_data"
    assert body["min_rows"] == 200
    assert body["columns"][0]["threshold"] == 0.5
    wrong = {"columns": {"x": {"method": "magic"}}}
    assert client.put(f"{url}/monitoring/settings", json=wrong).status_code == 422


def test_labels_give_the_metric_computed_directly(client: TestClient, deployment: str) -> None:
    rows = frame(400, seed=4)
    answers = predict(client, deployment, rows)
    ids = [i for a in answers for i in a["prediction_ids"]]
    assert len(ids) == len(set(ids)) == 400
    proba = np.array([p["yes"] for a in answers for p in a["probabilities"]])
    predicted = [p for a in answers for p in a["predictions"]]
    url = f"/api/v1/deployments/{deployment}"
    before = client.get(f"{url}/performance?bucket=day").json()
    assert before["buckets"][0]["labelled"] == 0
    assert before["buckets"][0]["metrics"] == {}
    assert before["buckets"][0]["estimated"]["accuracy"]["estimate"] is True
    labelled = rows.iloc[:300]
    labels = [
        {"prediction_id": i, "label": y} for i, y in zip(ids[:300], labelled["label"], strict=True)
    ]
    response = client.post(f"{url}/labels", json={"labels": labels})
    assert response.status_code == 200
    assert response.json()["labelled"] == 300
    body = client.get(f"{url}/performance?bucket=day").json()
    assert len(body["buckets"]) == 1
    bucket = body["buckets"][0]
    assert bucket["count"] == 400
    assert bucket["labelled"] == 300
    truth = (labelled["label"] == "yes").to_numpy()
    assert bucket["metrics"]["accuracy"]["value"] == pytest.approx(
        accuracy_score(labelled["label"], predicted[:300])
    )
    assert bucket["metrics"]["roc_auc"]["value"] == pytest.approx(
        roc_auc_score(truth, proba[:300])
    )
    low, high = bucket["metrics"]["accuracy"]["ci_low"], bucket["metrics"]["accuracy"]["ci_high"]
    assert low <= bucket["metrics"]["accuracy"]["value"] <= high
    assert "metrics" in body["reference"]


def test_labels_from_a_csv_joined_on_a_key(client: TestClient, deployment: str) -> None:
    rows = frame(50, seed=5)
    rows["x"] = np.arange(50) / 7.0  # distinct values: a usable key
    predict(client, deployment, rows)
    csv = "x,truth\n" + "".join(
        f"{x},{y}\n" for x, y in zip(rows["x"], rows["label"], strict=True)
    )
    csv += "999,yes\n"
    url = f"/api/v1/deployments/{deployment}"
    response = client.post(
        f"{url}/labels/csv",
        files={"file": ("labels.csv", csv.encode())},
        data={"key_column": "x", "label_column": "truth"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"labelled": 50, "rows": 51, "unmatched": 1}
    bucket = client.get(f"{url}/performance").json()["buckets"][0]
    assert bucket["labelled"] == 50
    missing = client.post(
        f"{url}/labels/csv",
        files={"file": ("labels.csv", csv.encode())},
        data={"key_column": "nope", "label_column": "truth"},
    )
    assert missing.status_code == 422


def test_regression_performance(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    deployment = deploy(store, artifacts, tmp_path, "regression", "reg")
    rows = frame(120, seed=6)
    answers = predict(client, deployment, rows)
    ids = [i for a in answers for i in a["prediction_ids"]]
    predicted = np.array([p for a in answers for p in a["predictions"]])
    labels = [{"prediction_id": i, "label": float(y)} for i, y in zip(ids, rows["y"], strict=True)]
    client.post(f"/api/v1/deployments/{deployment}/labels", json={"labels": labels})
    bucket = client.get(f"/api/v1/deployments/{deployment}/performance").json()["buckets"][0]
    rmse = float(np.sqrt(np.mean((predicted - rows["y"].to_numpy()) ** 2)))
    assert bucket["metrics"]["rmse"]["value"] == pytest.approx(rmse)
    assert bucket["estimated"] == {}


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_estimates_before_labels_use_the_held_back_rows(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path, task: str
) -> None:
    train = frame(1200, seed=0)
    model = fit_model("lightgbm", task, train)
    held = held_back_of(model, task, frame(600, seed=9))
    folder = save(model, task, train, tmp_path / task, held_back=held)
    deployment = store.create_deployment(register(store, artifacts, folder, task)).id
    predict(client, deployment, frame(300, seed=10))
    body = client.get(f"/api/v1/deployments/{deployment}/performance").json()
    (bucket,) = body["buckets"]
    if task == "binary":
        assert body["estimate"]["method"] == "cbpe"
        assert body["estimate"]["calibrated"] is True
        assert "calibrated on its held-back rows" in body["estimate"]["note"]
        accuracy = bucket["estimated"]["accuracy"]
        assert accuracy["estimate"] is True
        assert 0.5 < accuracy["value"] <= 1.0
    else:
        assert body["estimate"]["method"] == "dle"
        estimated = bucket["estimated"]
        assert set(estimated) == {"mae", "rmse"}
        assert all(m["estimate"] is True for m in estimated.values())
        # the held-back rows' own error is the right order of magnitude for unshifted rows
        error = held["__y"] - held["__prediction"]
        assert estimated["mae"]["value"] == pytest.approx(np.abs(error).mean(), rel=0.5)
