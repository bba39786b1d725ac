"""POST /api/v1/models/{id}/export {"format"}: ONNX and MLflow artifacts, downloadable."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from deployment_bundles import fit_model, frame, register, save
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def tabular_id(store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path) -> str:
    df = frame()
    folder = save(fit_model("lightgbm", "binary", df), "binary", df, tmp_path / "bundle")
    return register(store, artifacts, folder, "lgbm")


def test_onnx_export_is_stored_reported_and_downloadable(
    client: TestClient, tabular_id: str
) -> None:
    url = f"/api/v1/models/{tabular_id}/export"
    assert client.get(f"{url}/onnx").status_code == 404
    answer = client.post(url, json={"format": "onnx"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["format"] == "onnx"
    assert report["max_difference"] <= 1e-4
    assert report["label_agreement"] >= 0.999
    assert report["download_url"] == f"{url}/onnx"
    download = client.get(report["download_url"])
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    session = ort.InferenceSession(download.content, providers=["CPUExecutionProvider"])
    feed = {
        "x": np.array([[0.5], [-2.0]]),
        "color": np.array([["red"], ["blue"]], dtype=object),
        "size": np.array([[3.0], [8.0]]),
    }
    labels, proba = session.run(None, feed)
    assert list(labels) == ["yes", "no"]
    assert proba.shape == (2, 2)
    assert client.get(f"{url}/onnx/report").json()["size_bytes"] == len(download.content)


def test_mlflow_export_is_a_zip_of_an_mlflow_model(client: TestClient, tabular_id: str) -> None:
    url = f"/api/v1/models/{tabular_id}/export"
    answer = client.post(url, json={"format": "mlflow"})
    assert answer.status_code == 200, answer.text
    assert "MLmodel" in answer.json()["files"]
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{url}/mlflow").content))
    assert {"MLmodel", "bundle/manifest.json", "requirements.txt"} <= set(archive.namelist())


def test_refusals_name_the_reason(client: TestClient, model_id: str) -> None:
    url = f"/api/v1/models/{model_id}/export"
    refused = client.post(url, json={"format": "onnx"})  # a plain sklearn Pipeline bundle
    assert refused.status_code == 422
    assert "has no ONNX converter" in refused.text
    assert "Pipeline" in refused.text
    assert client.get(f"{url}/onnx").status_code == 404
    both = client.post(url, json={"format": "onnx", "url": "s3://b/x"})
    assert both.status_code == 422
    assert client.post(url, json={"format": "pmml"}).status_code == 422
    quantised = client.post(url, json={"format": "mlflow", "quantize": True})
    assert quantised.status_code == 422
    assert "onnx format only" in quantised.text


def test_background_export_runs_as_a_job_and_keeps_the_download_paths(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, tabular_id: str
) -> None:
    from tunelab.jobs import Worker, default_handlers

    url = f"/api/v1/models/{tabular_id}/export"
    answer = client.post(url, json={"format": "onnx", "background": True})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    assert answer.json()["status_url"] == f"/api/v1/jobs/{job_id}"
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert (job["kind"], job["status"]) == ("export", "queued")
    assert client.get(f"{url}/onnx").status_code == 404  # nothing converted in the request
    worker = Worker(store, artifacts, default_handlers(), heartbeat_interval=0.1)
    assert worker.run_once()
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["download_url"] == f"{url}/onnx"
    assert job["result"]["max_difference"] <= 1e-4
    download = client.get(job["result"]["download_url"])
    assert download.status_code == 200
    assert client.get(f"{url}/onnx/report").json()["size_bytes"] == len(download.content)


def test_a_background_export_that_cannot_convert_fails_naming_the_step(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, model_id: str
) -> None:
    from tunelab.jobs import Worker, default_handlers

    url = f"/api/v1/models/{model_id}/export"
    answer = client.post(url, json={"format": "onnx", "background": True})
    assert answer.status_code == 202, answer.text
    Worker(store, artifacts, default_handlers(), heartbeat_interval=0.1).run_once()
    job = client.get(f"/api/v1/jobs/{answer.json()['job_id']}").json()
    assert job["status"] == "failed"
    assert "has no ONNX converter" in job["error"]
    assert client.get(f"{url}/onnx").status_code == 404
