"""Models REST: a real small AutoML run -> model -> evaluation job -> metrics and plots;
pipeline view, bundle zip, snippets and export to a real S3 server (moto)."""

import io
import json
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tunelab.entities.platform import ExperimentStatus, JobStatus
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app
from tunelab.tracking import MetadataStore

sys.path.insert(0, str(Path(__file__).parents[1] / "artifacts"))
from moto_s3 import moto_server, s3_options


def _binary_csv(n: int = 300) -> bytes:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(4),
            "color": rng.choice(["red", "blue", "green"], n),
            "noise": rng.normal(size=n).round(4),
        }
    )
    logit = 2 * frame["x"] + (frame["color"] == "red") + rng.normal(scale=0.7, size=n)
    frame["label"] = np.where(logit > 0.3, "yes", "no")
    return frame.to_csv(index=False).encode()


def _regression_csv(n: int = 200) -> bytes:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=n).round(4), "b": rng.normal(size=n).round(4)})
    frame["price"] = (3 * frame["a"] - frame["b"] + rng.normal(scale=0.3, size=n)).round(4)
    return frame.to_csv(index=False).encode()


class Lab:
    """An app with its store, and a worker that runs queued jobs in the test's thread."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        app: Any = client.app
        self.store: MetadataStore = app.state.store
        handlers = default_handlers()
        self.worker = Worker(self.store, app.state.artifacts, handlers, heartbeat_interval=0.1)

    def run_jobs(self) -> None:
        while (job := self.worker.run_once()) is not None:
            assert job.status is JobStatus.SUCCEEDED, job.error

    def train(self, csv: bytes, target: str, settings: dict[str, Any]) -> str:
        upload = self.client.post("/api/v1/datasets", files={"file": ("t.csv", csv)})
        assert upload.status_code == 201, upload.text
        self.run_jobs()
        experiment = self.store.create_experiment(
            dataset_id=upload.json()["id"], target=target, settings=settings
        )
        self.store.transition_experiment(
            experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
        )
        self.store.enqueue_job("automl", {"experiment_id": experiment.id})
        self.run_jobs()
        model_id = self.store.get_experiment(experiment.id).best_model_id
        assert model_id is not None
        return model_id


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("home")
    with TestClient(create_app(ServerSettings(home=home)), base_url="http://localhost") as client:
        yield Lab(client)


@pytest.fixture(scope="module")
def binary_model(lab: Lab) -> str:
    settings = {
        "max_trials": 3,
        "time_budget": 60,
        "algorithms": ["logistic_regression", "decision_tree"],
        "test_ratio": 0.25,
    }
    return lab.train(_binary_csv(), "label", settings)


@pytest.fixture(scope="module")
def binary_evaluation(lab: Lab, binary_model: str) -> dict[str, Any]:
    url = f"/api/v1/models/{binary_model}"
    missing = lab.client.get(f"{url}/evaluation")
    assert missing.status_code == 409
    assert missing.json()["detail"]["status"] == "missing"
    queued = lab.client.post(f"{url}/evaluate")
    assert queued.status_code == 202
    again = lab.client.post(f"{url}/evaluate", json={})
    assert again.json()["job_id"] == queued.json()["job_id"]  # no duplicate job
    pending = lab.client.get(f"{url}/evaluation").json()["detail"]
    assert (pending["status"], pending["job_id"]) == ("queued", queued.json()["job_id"])
    lab.run_jobs()
    response = lab.client.get(f"{url}/evaluation")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_evaluation_has_every_metric_on_each_part_with_intervals(
    binary_evaluation: dict[str, Any],
) -> None:
    parts = binary_evaluation["parts"]
    assert set(parts) == {"train", "valid", "test"}
    assert parts["test"]["source"] == "held-out rows"
    assert parts["valid"]["source"] == "out-of-fold predictions"
    assert parts["test"]["n_rows"] == 75  # 25% of 300 rows, read back from the split artifact
    for part in ("train", "test"):
        metrics = parts[part]["metrics"]
        assert {"roc_auc", "accuracy", "f1", "log_loss", "mcc"} <= set(metrics)
        for cell in metrics.values():
            if cell["value"] is not None and cell["ci_low"] is not None:
                assert cell["ci_low"] <= cell["value"] + 1e-9
                assert cell["value"] <= cell["ci_high"] + 1e-9
        auc = metrics["roc_auc"]
        assert auc["ci_low"] < auc["ci_high"]  # a real interval, not a point
        assert 0.75 < auc["value"] <= 1.0
    assert binary_evaluation["state"]["status"] == "ready"
    assert binary_evaluation["plots_part"] == "test"


def test_every_classification_plot_is_plotly_json(
    lab: Lab, binary_model: str, binary_evaluation: dict[str, Any]
) -> None:
    expected = {"roc", "pr", "confusion_matrix", "threshold", "calibration", "lift", "gain"}
    assert expected | {"importance"} == set(binary_evaluation["plots"])
    for name in binary_evaluation["plots"]:
        response = lab.client.get(f"/api/v1/models/{binary_model}/plots/{name}")
        assert response.status_code == 200
        figure = response.json()
        assert figure["data"]
        assert "layout" in figure
    matrix = lab.client.get(f"/api/v1/models/{binary_model}/plots/confusion_matrix").json()
    heatmap = matrix["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"] == ["no", "yes"]
    total = sum(int(text.split("<br>")[0]) for row in heatmap["text"] for text in row)
    assert total == 75  # every test row lands in one cell
    importance = lab.client.get(f"/api/v1/models/{binary_model}/plots/importance").json()
    bars = importance["data"][0]
    assert bars["y"][-1] == "x"  # the strongest input is drawn at the top
    roc = lab.client.get(f"/api/v1/models/{binary_model}/plots/roc").json()
    assert roc["data"][0]["x"][0] == 0.0
    assert roc["data"][0]["y"][-1] == 1.0


def test_unknown_plot_is_404_naming_the_plots(
    lab: Lab, binary_model: str, binary_evaluation: dict[str, Any]
) -> None:
    # the plots exist only once the evaluation ran (before it: 409), so depend on it
    response = lab.client.get(f"/api/v1/models/{binary_model}/plots/sunburst")
    assert response.status_code == 404
    assert "sunburst" in response.json()["detail"]
    assert "roc" in response.json()["detail"]
    assert lab.client.get("/api/v1/models/nope/evaluation").status_code == 404


def test_pipeline_lists_members_weights_steps_and_hyperparameters(
    lab: Lab, binary_model: str
) -> None:
    view = lab.client.get(f"/api/v1/models/{binary_model}/pipeline").json()
    assert view["task"] == "binary"
    assert view["target"] == "label"
    members = view["members"]
    assert members
    assert abs(sum(m["weight"] for m in members) - 1.0) < 1e-6
    families = {m["family"] for m in members}
    assert families <= {"logistic_regression", "decision_tree"}
    for member in members:
        # refitted on all rows (one model), or the bag of its 5 fold models
        assert member["n_folds"] == (1 if member["refitted"] else 5)
        assert set(member["columns"]) == {"x", "color", "noise"}
        assert member["columns"]["color"]["kind"] == "categorical"
        assert member["columns"]["color"]["steps"]
        assert member["estimator"]["params"]
        assert member["steps"][0]["class"] == "FrameCoercer"
    linear = [m for m in members if m["family"] == "logistic_regression"]
    if linear:
        assert "StandardScaler" in linear[0]["columns"]["x"]["steps"]
        assert linear[0]["estimator"]["class"] == "LogisticRegression"
    assert [c["name"] for c in view["inputs"]] == ["x", "color", "noise"]


def test_bundle_zip_loads_and_python_snippet_runs(
    lab: Lab,
    binary_model: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = lab.client.get(f"/api/v1/models/{binary_model}/bundle.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"manifest.json", "model.skops", "report/report.json"} <= set(archive.namelist())
    archive.extractall(tmp_path / "bundle")
    snippet = lab.client.get(f"/api/v1/models/{binary_model}/snippet?lang=python").text
    assert "tunelab.load_bundle" in snippet
    assert f"/models/{binary_model}/bundle.zip" in snippet
    # run the snippet's own code, with the download replaced by the zip fetched above
    (tmp_path / "b.zip").write_bytes(response.content)
    script = snippet.replace("urllib.request.urlopen(request)", "open(ZIP, 'rb')")
    monkeypatch.chdir(tmp_path)
    exec(compile(script, "snippet.py", "exec"), {"ZIP": str(tmp_path / "b.zip")})
    out = capsys.readouterr().out
    assert (tmp_path / f"tunelab_model_{binary_model[:8]}" / "manifest.json").is_file()
    assert "prediction: ['" in out
    assert "probabilities:" in out


def test_curl_snippet_names_the_deployment_once_deployed(lab: Lab, binary_model: str) -> None:
    url = f"/api/v1/models/{binary_model}/snippet"
    before = lab.client.get(url, params={"lang": "curl"}).text
    assert "/api/v1/deployments/DEPLOYMENT_ID/predict" in before
    record = json.loads(before.split("-d '")[-1].split("'")[0])["records"][0]
    assert set(record) == {"x", "color", "noise"}
    deployed = lab.client.post("/api/v1/deployments", json={"model_id": binary_model}).json()
    after = lab.client.get(url, params={"lang": "curl"}).text
    assert f"/api/v1/deployments/{deployed['id']}/predict" in after
    assert lab.client.get(url, params={"lang": "java"}).status_code == 422
    lab.client.delete(f"/api/v1/deployments/{deployed['id']}")


@pytest.mark.slow  # starts a moto S3 server (~5-15 s)
def test_export_to_s3_writes_a_loadable_bundle(
    lab: Lab, binary_model: str, tmp_path: Path
) -> None:
    import fsspec

    from tunelab.bundles import load_bundle

    url = f"/api/v1/models/{binary_model}/export"
    with moto_server() as endpoint:
        options = s3_options(endpoint)
        bucket = "b" + uuid.uuid4().hex[:10]
        fs = fsspec.filesystem("s3", **options)
        fs.mkdir(bucket)
        app: Any = lab.client.app  # the administrator names the endpoint
        app.state.settings = app.state.settings.model_copy(
            update={"object_store_options": {"endpoint_url": endpoint}}
        )
        credentials = {"key": options["key"], "secret": options["secret"]}
        body = {"url": f"s3://{bucket}/exports/m1", "storage_options": credentials}
        response = lab.client.post(url, json=body)
        assert response.status_code == 200, response.text
        assert f"s3://{bucket}/exports/m1/manifest.json" in response.json()["files"]
        fs.get(f"{bucket}/exports/m1", str(tmp_path / "copy"), recursive=True)
        bundle = load_bundle(tmp_path / "copy")
        assert bundle.task.value == "binary"
        zipped = lab.client.post(url, json={**body, "url": f"s3://{bucket}/m1.zip"})
        assert zipped.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(fs.cat(f"{bucket}/m1.zip")))
        assert "model.skops" in archive.namelist()
        missing = lab.client.post(url, json={**body, "url": "s3://no-such-bucket-x/m"})
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["body", "url"]
    bad = lab.client.post(url, json={"url": "/etc/passwd"})
    assert bad.status_code == 422
    assert "s3://" in bad.json()["detail"][0]["msg"]
    odd = lab.client.post(url, json={"url": "s3://bkt/x", "storage_options": {"client": 1}})
    assert odd.json()["detail"][0]["loc"] == ["body", "storage_options", "client"]
    for option in ("endpoint_url", "client_kwargs"):
        refused = lab.client.post(url, json={"url": "s3://bkt/x", "storage_options": {option: 1}})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "storage_options", option]


def test_regression_evaluation_has_residual_plots(lab: Lab) -> None:
    settings = {"max_trials": 2, "time_budget": 60, "algorithms": ["ridge"], "test_ratio": 0.2}
    model_id = lab.train(_regression_csv(), "price", settings)
    lab.client.post(f"/api/v1/models/{model_id}/evaluate")
    lab.run_jobs()
    evaluation = lab.client.get(f"/api/v1/models/{model_id}/evaluation").json()
    assert {"prediction_error", "residuals", "residual_histogram", "importance"} == set(
        evaluation["plots"]
    )
    test = evaluation["parts"]["test"]["metrics"]
    assert test["r2"]["value"] > 0.9
    assert test["rmse"]["ci_low"] < test["rmse"]["ci_high"]
    errors = lab.client.get(f"/api/v1/models/{model_id}/plots/prediction_error").json()
    actual, predicted = errors["data"][0]["x"], errors["data"][0]["y"]
    assert len(actual) == 40
    assert np.corrcoef(actual, predicted)[0, 1] > 0.9


def test_evaluation_on_another_dataset_and_deletion(lab: Lab, binary_model: str) -> None:
    upload = lab.client.post("/api/v1/datasets", files={"file": ("new.csv", _binary_csv(120))})
    dataset_id = upload.json()["id"]
    lab.run_jobs()
    url = f"/api/v1/models/{binary_model}"
    lab.client.post(f"{url}/evaluate", json={"dataset_id": dataset_id})
    lab.run_jobs()
    on_dataset = lab.client.get(f"{url}/evaluation", params={"dataset_id": dataset_id}).json()
    assert list(on_dataset["parts"]) == ["dataset"]
    assert on_dataset["parts"]["dataset"]["n_rows"] == 120
    roc = lab.client.get(f"{url}/plots/roc", params={"dataset_id": dataset_id})
    assert roc.status_code == 200
    assert lab.client.post(f"{url}/evaluate", json={"dataset_id": "nope"}).status_code == 404
    artifacts = lab.client.app.state.artifacts  # type: ignore[attr-defined]
    assert artifacts.list(f"evaluations/{binary_model}")
    assert lab.client.delete(url).status_code == 204
    assert artifacts.list(f"evaluations/{binary_model}") == []
