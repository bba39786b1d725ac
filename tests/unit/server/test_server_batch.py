"""Batch prediction: the page, the job's progress and its result as CSV and Parquet."""

import io

import pandas as pd
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker


def test_batch_progress_and_downloads(client: TestClient, worker: Worker, model_id: str) -> None:
    deployment = client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"]
    while worker.run_once() is not None:  # a deploy job, if any
        pass
    dataset = upload(client)
    queued = client.post(f"/api/v1/deployments/{deployment}/batch", json={"dataset_id": dataset})
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["job_id"]
    url = f"/api/v1/deployments/{deployment}/batch/{job_id}"
    before = client.get(url).json()
    assert before["status"] == "queued"
    assert before["downloads"] == {}
    assert client.get(f"{url}/result.csv").status_code == 404
    while worker.run_once() is not None:
        pass
    state = client.get(url).json()
    assert state["status"] == "succeeded"
    assert state["done"] == state["total"] == state["n_rows"] == 60
    csv = pd.read_csv(io.BytesIO(client.get(state["downloads"]["csv"]).content))
    parquet = pd.read_parquet(io.BytesIO(client.get(state["downloads"]["parquet"]).content))
    assert list(csv.columns) == ["x", "color", "label", "prediction", "proba_no", "proba_yes"]
    assert list(parquet["prediction"]) == list(csv["prediction"])
    assert client.get(f"/api/v1/deployments/{deployment}/batch/nope").status_code == 404
    other = client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"]
    assert client.get(f"/api/v1/deployments/{other}/batch/{job_id}").status_code == 404

    page = client.get(f"/deployments/{deployment}/batch")
    assert page.status_code == 200
    assert 'data-testid="batch-file"' in page.text
    assert f"/batch/{job_id}/result.parquet" in page.text
    korean = client.get(f"/deployments/{deployment}/batch", params={"lang": "ko"}).text
    assert "일괄 예측" in korean
    assert "업로드하고 예측" in korean
    detail = client.get(f"/deployments/{deployment}").text
    assert f"/deployments/{deployment}/batch" in detail
