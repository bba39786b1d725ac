"""Open Inference Protocol v2 and MLflow scoring: request shapes and errors, answered by the
same predictor as ``/api/v1/deployments/{id}/predict``."""

from pathlib import Path

import pytest
from deployment_bundles import fit_model, frame, register, save
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore

ROWS = [
    {"x": 0.3, "color": "red", "size": 4.0},
    {"x": -1.2, "color": "blue", "size": 7.0},
    {"x": 2.5, "color": "green", "size": 1.0},
]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    df = frame()
    root = tmp_path_factory.mktemp("bundles")
    return {
        task: save(fit_model("lightgbm", task, df), task, df, root / task)
        for task in ("binary", "regression")
    }


@pytest.fixture
def served(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> dict[str, str]:
    """Deployments ``credit`` (classifier) and ``price`` (regressor) -> their ids."""
    ids = {}
    for name, task in (("credit", "binary"), ("price", "regression")):
        model_id = register(store, artifacts, bundles[task], name)
        answer = client.post("/api/v1/deployments", json={"model_id": model_id, "name": name})
        ids[name] = answer.json()["id"]
    return ids


def _native(client: TestClient, deployment_id: str) -> dict:
    answer = client.post(f"/api/v1/deployments/{deployment_id}/predict", json={"records": ROWS})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _oip_inputs(rows: list[dict]) -> list[dict]:
    return [
        {"name": "x", "datatype": "FP64", "shape": [len(rows)], "data": [r["x"] for r in rows]},
        {"name": "color", "datatype": "BYTES", "shape": [len(rows)],
         "data": [r["color"] for r in rows]},
        {"name": "size", "datatype": "FP64", "shape": [len(rows), 1],
         "data": [[r["size"]] for r in rows]},
    ]  # fmt: skip


def test_oip_health_and_metadata(client: TestClient, served: dict[str, str]) -> None:
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2").json()["name"] == "tunelab"
    meta = client.get("/v2/models/credit").json()
    assert {i["name"]: i["datatype"] for i in meta["inputs"]} == {
        "x": "FP64",
        "color": "BYTES",
        "size": "FP64",
    }
    assert [(o["name"], o["datatype"], o["shape"]) for o in meta["outputs"]] == [
        ("predict", "BYTES", [-1]),
        ("predict_proba", "FP64", [-1, 2]),
    ]
    assert [o["name"] for o in client.get("/v2/models/price").json()["outputs"]] == ["predict"]
    assert client.get("/v2/models/credit/ready").json() == {"name": "credit", "ready": True}
    assert client.get("/v2/models/nope/ready").status_code == 404
    ready = client.get("/v2/health/ready")
    assert ready.status_code in (200, 503)
    assert ready.json()["ready"] is (ready.status_code == 200)


def test_oip_infer_matches_the_native_answer(client: TestClient, served: dict[str, str]) -> None:
    native = _native(client, served["credit"])
    body = {"id": "r1", "parameters": {"content_type": "pd"}, "inputs": _oip_inputs(ROWS)}
    answer = client.post("/v2/models/credit/infer", json=body)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert (out["model_name"], out["id"], out["model_version"]) == (
        "credit",
        "r1",
        native["model"],
    )
    predict, proba = out["outputs"]
    assert (predict["name"], predict["shape"], predict["data"]) == (
        "predict",
        [3],
        native["predictions"],
    )
    assert proba["shape"] == [3, 2]
    expected = [row[c] for row in native["probabilities"] for c in ("no", "yes")]
    assert proba["data"] == pytest.approx(expected)
    only = client.post("/v2/models/credit/infer", json={**body, "outputs": [{"name": "predict"}]})
    assert [o["name"] for o in only.json()["outputs"]] == ["predict"]
    regression = client.post("/v2/models/price/infer", json={"inputs": _oip_inputs(ROWS)})
    assert regression.json()["outputs"][0]["data"] == pytest.approx(
        _native(client, served["price"])["predictions"]
    )


def test_oip_errors_name_the_input(client: TestClient, served: dict[str, str]) -> None:
    good = _oip_inputs(ROWS)
    cases = [
        ({"inputs": good[:2]}, 400, "input 'size' is missing"),
        ({"inputs": [*good, {**good[0], "name": "age"}]}, 400, "input 'age' is not a column"),
        ({"inputs": [{**good[0], "datatype": "BYTES"}, *good[1:]]}, 400, "input 'x': value"),
        ({"inputs": [{**good[0], "shape": [2]}, *good[1:]]}, 400, "input 'x': shape [2]"),
        ({"inputs": [{**good[0], "datatype": "FP128"}, *good[1:]]}, 400, "unknown datatype"),
        ({"inputs": [{k: v for k, v in good[0].items() if k != "data"}]}, 400, "no 'data'"),
        ({"inputs": good, "parameters": {"content_type": "np"}}, 400, "content_type 'np'"),
        ({"inputs": good, "outputs": [{"name": "scores"}]}, 400, "output 'scores'"),
        ({"inputs": []}, 400, "'inputs' must be a non-empty list"),
        ([1, 2], 400, "JSON object"),
    ]
    for body, status, needle in cases:
        answer = client.post("/v2/models/credit/infer", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert needle in answer.json()["error"], answer.text
    unknown = client.post("/v2/models/nope/infer", json={"inputs": good})
    assert unknown.status_code == 404
    assert "nope" in unknown.json()["error"]
    wrong_type = [{**good[0], "datatype": "BYTES", "data": ["a", "b", "c"]}, *good[1:]]
    answer = client.post("/v2/models/credit/infer", json={"inputs": wrong_type})
    assert answer.status_code == 400
    assert "'x'" in answer.json()["error"]


def test_mlflow_request_shapes_match_the_native_answer(
    client: TestClient, served: dict[str, str]
) -> None:
    expected = {"predictions": _native(client, served["credit"])["predictions"]}
    columns = ["x", "color", "size"]
    bodies = [
        {"dataframe_split": {"columns": columns, "data": [[r[c] for c in columns] for r in ROWS]}},
        {"dataframe_records": ROWS},
        {"instances": ROWS},
        {"instances": [[r[c] for c in columns] for r in ROWS]},
        {"inputs": {c: [r[c] for r in ROWS] for c in columns}},
        {"inputs": ROWS, "params": {"ignored": True}},
    ]
    for body in bodies:
        answer = client.post("/serve/credit/invocations", json=body)
        assert answer.status_code == 200, (body, answer.text)
        assert answer.json() == expected, body
    csv = "x,color,size\n" + "".join(f"{r['x']},{r['color']},{r['size']}\n" for r in ROWS)
    answer = client.post(
        "/serve/credit/invocations", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert answer.json() == expected
    price = client.post("/serve/price/invocations", json={"dataframe_records": ROWS}).json()
    assert price["predictions"] == pytest.approx(_native(client, served["price"])["predictions"])
    assert client.get("/serve/credit/ping").status_code == 200


def test_mlflow_errors_are_mlflow_shaped(client: TestClient, served: dict[str, str]) -> None:
    cases = [
        ({"dataframe_records": ROWS, "instances": ROWS}, "exactly one of the input fields"),
        ({"records": ROWS}, "exactly one of the input fields"),
        ([{"x": 1}], "Received a list"),
        ({"dataframe_records": [{"x": 1.0, "color": "red"}]}, "'size'"),
        ({"dataframe_split": {"columns": ["x"], "data": [[1, 2]]}}, "has 2 values"),
        ({"instances": [[1.0, "red"]]}, "takes 3 columns"),
    ]
    for body, needle in cases:
        answer = client.post("/serve/credit/invocations", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error_code"] == "BAD_REQUEST"
        assert needle in answer.json()["message"], answer.text
    broken = client.post(
        "/serve/credit/invocations",
        content="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert "valid JSON" in broken.json()["message"]
    xml = client.post(
        "/serve/credit/invocations", content="<a/>", headers={"Content-Type": "application/xml"}
    )
    assert xml.status_code == 415
    assert "application/xml" in xml.text
    missing = client.post("/serve/nope/invocations", json={"dataframe_records": ROWS})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_protocol_predictions_are_logged_with_the_version(
    client: TestClient, store: MetadataStore, served: dict[str, str]
) -> None:
    client.post("/serve/credit/invocations", json={"dataframe_records": ROWS})
    client.post("/v2/models/credit/infer", json={"inputs": _oip_inputs(ROWS)})
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    logged = store.list_predictions(served["credit"])
    assert len(logged) == 2
    assert all(p.inputs == ROWS and p.model_id for p in logged)


def test_names_follow_deletes_and_redeploys_at_once(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> None:
    """The name -> deployment answers the protocol paths reuse never outlive the deployment."""
    body = {"inputs": _oip_inputs(ROWS)}
    first = register(store, artifacts, bundles["binary"], "a")
    old = client.post("/api/v1/deployments", json={"model_id": first, "name": "churn"}).json()
    assert client.post("/v2/models/churn/infer", json=body).json()["model_version"] == first
    second = register(store, artifacts, bundles["binary"], "b")
    new = client.post("/api/v1/deployments", json={"model_id": second, "name": "churn"}).json()
    assert new["id"] != old["id"]
    answer = client.post("/v2/models/churn/infer", json=body).json()
    assert answer["model_version"] == second  # the newest deployment of the name, at once
    traffic = client.app.state.traffic  # type: ignore[attr-defined]
    assert traffic.named("churn") == new["id"]  # now answered from memory
    assert client.delete(f"/api/v1/deployments/{new['id']}").status_code == 204
    assert traffic.named("churn") is None
    answer = client.post("/v2/models/churn/infer", json=body)
    assert answer.json().get("model_version") != second
