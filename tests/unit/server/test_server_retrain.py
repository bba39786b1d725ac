"""Retraining through the real app and a real worker: a challenger registered beside the
champion, both scored on the same held-back rows, promoted with one call."""

from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore

SETTINGS = {"max_trials": 1, "algorithms": ["logistic_regression"], "ensemble": "none"}


def table(n: int, seed: int, shift: float = 0.0) -> str:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n).round(4), "color": rng.choice(["red", "blue", "green"], n)}
    )
    frame["label"] = np.where(frame["x"] + (frame["color"] == "red") > 0.3 + shift, "yes", "no")
    return frame.to_csv(index=False)


def run_all(worker: Worker) -> None:
    while worker.run_once():
        pass


def test_retrain_registers_a_compared_challenger(
    client: TestClient, store: MetadataStore, worker: Worker
) -> None:
    first = upload(client, table(200, seed=0), "old.csv")
    run_all(worker)
    body = {"dataset_id": first, "target": "label", "time_budget": 20, "settings": SETTINGS}
    experiment_id = client.post("/api/v1/experiments", json=body).json()["id"]
    assert client.post(f"/api/v1/experiments/{experiment_id}/start").status_code == 202
    run_all(worker)
    champion = store.get_experiment(experiment_id).best_model_id
    assert champion is not None
    deployment = client.post("/api/v1/deployments", json={"model_id": champion}).json()["id"]

    second = upload(client, table(200, seed=1, shift=0.5), "new.csv")
    run_all(worker)
    url = f"/api/v1/deployments/{deployment}"
    started = client.post(f"{url}/retrain", json={"dataset_id": second})
    assert started.status_code == 202, started.text
    name = started.json()["name"]
    run_all(worker)
    items = client.get(f"{url}/retrain").json()["items"]
    assert len(items) == 1
    done: dict[str, Any] = items[0]
    assert done["status"] == "succeeded", done["error"]
    result = done["result"]
    assert result["challenger"] == f"{name}/2"
    assert result["champion"] == f"{name}/1"
    assert result["promoted"] is False
    comparison = result["comparison"]
    metric = comparison["metric"]
    for side in ("champion", "challenger"):
        scored = comparison[side]["metrics"][metric]
        assert scored["ci_low"] <= scored["value"] <= scored["ci_high"]
        assert comparison[side]["rows"] == comparison["n_rows"] > 0
    registered = client.get(f"/api/v1/registry/{name}").json()
    aliases = {v["version"]: v["aliases"] for v in registered["versions"]}
    assert aliases[1] == ["champion"]
    assert aliases[2] == ["challenger"]
    # promotion is one call; the deployment then serves the challenger
    promoted = client.post(f"{url}/promote", json={"version": 2})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["from_version"] == 1
    challenger_model = store.get_model_version(name, 2).model_id
    assert store.get_deployment(deployment).model_id == challenger_model
    answer = client.post(f"{url}/predict", json={"records": [{"x": 0.1, "color": "red"}]})
    assert answer.status_code == 200
    assert answer.json()["model"] == f"{name}/2"


def test_retrain_needs_the_target_in_the_new_data(
    client: TestClient, store: MetadataStore, worker: Worker
) -> None:
    first = upload(client, table(120, seed=0), "old.csv")
    run_all(worker)
    body = {"dataset_id": first, "target": "label", "time_budget": 20, "settings": SETTINGS}
    experiment_id = client.post("/api/v1/experiments", json=body).json()["id"]
    client.post(f"/api/v1/experiments/{experiment_id}/start")
    run_all(worker)
    champion = store.get_experiment(experiment_id).best_model_id
    deployment = client.post("/api/v1/deployments", json={"model_id": champion}).json()["id"]
    other = upload(client, "a,b\n1,2\n3,4\n", "other.csv")
    run_all(worker)
    response = client.post(f"/api/v1/deployments/{deployment}/retrain", json={"dataset_id": other})
    assert response.status_code == 422
