"""Inputs that used to answer 5xx (or a wrong 200) answer a 4xx naming the field."""

from pathlib import Path

import pytest
from deployment_bundles import fit_model, frame, register, save
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_helpers import CSV

from tunelab.artifacts import ArtifactStore
from tunelab.entities.errors import ConfigError, DataError
from tunelab.server.errors import install_error_handlers
from tunelab.server.uploads import MAX_NAME
from tunelab.tracking import MetadataStore


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    df = frame()
    return save(fit_model("lightgbm", "binary", df), "binary", df, tmp_path_factory.mktemp("b"))


@pytest.fixture
def deployment_id(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundle: Path
) -> str:
    model_id = register(store, artifacts, bundle, "m")
    response = client.post("/api/v1/deployments", json={"model_id": model_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("explain", [False, True])  # fast path / generic path
def test_non_finite_numbers_are_422_on_both_prediction_paths(
    client: TestClient, deployment_id: str, number: str, explain: bool
) -> None:
    url = f"/api/v1/deployments/{deployment_id}/predict?explain={str(explain).lower()}"
    ok = client.post(url, json={"records": [{"x": 0.5, "color": "red", "size": 2.0}]})
    assert ok.status_code == 200, ok.text
    predictor = client.app.state.predictors.get(deployment_id)  # type: ignore[attr-defined]
    assert predictor.plan is not None  # without explain, the fast path answers
    body = '{"records": [{"x": 0.5, "color": "red", "size": NUMBER}]}'.replace("NUMBER", number)
    response = client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "records", 0, "size"]
    assert error["type"] == "finite_number"
    assert "send null for a missing value" in error["msg"]
    # the connection still works after the refusal
    assert client.post(
        url, json={"records": [{"x": 0.5, "color": "red", "size": None}]}
    ).is_success


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/datasets?limit=-1", "limit"),
        ("/api/v1/datasets?limit=0", "limit"),
        ("/api/v1/models?limit=100000", "limit"),
        ("/api/v1/deployments?offset=99999999999999999999", "offset"),
        ("/api/v1/jobs?limit=99999999999999999999", "limit"),
        ("/api/v1/jobs/x/events?after_id=99999999999999999999", "after_id"),
        ("/api/v1/deployments/x/predictions?before_id=99999999999999999999", "before_id"),
        ("/api/v1/experiments/x/trials/99999999999999999999", "number"),
    ],
)
def test_out_of_range_integers_are_422_naming_them(
    client: TestClient, path: str, field: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field


def test_a_huge_id_in_a_path_is_a_plain_404(client: TestClient) -> None:
    response = client.get("/api/v1/datasets/99999999999999999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "dataset '99999999999999999999' does not exist"


def test_a_very_long_file_name_is_shortened(client: TestClient) -> None:
    name = "a" * 300 + ".csv"
    response = client.post("/api/v1/datasets", files={"file": (name, CSV.encode())})
    assert response.status_code == 201, response.text
    dataset = client.get(f"/api/v1/datasets/{response.json()['id']}").json()
    assert len(dataset["name"]) <= MAX_NAME
    assert dataset["name"].endswith(".csv")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"files": {"other": ("x.csv", b"a,b\n1,2\n")}}, "field required"),
        (
            {
                "content": b"--xx\r\nnot a header line\r\n\r\nbody",
                "headers": {"Content-Type": "multipart/form-data; boundary=xx"},
            },
            "",
        ),
        ({"json": {"file": "x"}}, "send multipart/form-data"),
    ],
)
def test_uploads_without_a_file_part_are_422(
    client: TestClient, kwargs: dict, message: str
) -> None:
    response = client.post("/api/v1/datasets", **kwargs)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "file"]
    assert message in error["msg"]


@pytest.mark.parametrize("error", [DataError("column 'y' is constant"), ConfigError("bad metric")])
def test_data_and_config_errors_are_422_lists(error: Exception) -> None:
    """A 422 always has the declared shape (a list of {loc, msg, type}), never a string."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    response = TestClient(app).get("/boom")
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["msg"] == str(error)
    assert problem["loc"] == ["body"]


def test_unexpected_errors_do_not_show_internals(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise OSError("/tmp/tunelab-secret/x.parquet: disk full")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    detail = response.json()["detail"]
    assert "tunelab-secret" not in detail
    assert "OSError" not in detail
    assert "reference" in detail
    assert "tunelab-secret" in caplog.text  # the details are in the server log
