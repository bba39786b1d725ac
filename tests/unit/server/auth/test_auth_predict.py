"""A predict-only token calls a shared deployment's predict endpoints (native, Open Inference
v2, MLflow scoring) and nothing else."""

from pathlib import Path

import pytest
from auth_helpers import add_user, auth_settings, bearer
from fastapi.testclient import TestClient

from tunelab.entities.auth import ResourceKind, Role, Scope, ShareLevel
from tunelab.server import ServerSettings
from tunelab.server.auth.service import create_token
from tunelab.tracking import MetadataStore

RECORDS = [{"x": 0.5, "color": "red"}, {"x": -1.0, "color": "blue"}]


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:  # the server conftest's app, with auth on
    return auth_settings(tmp_path / "home")


def test_a_predict_token_predicts_and_does_nothing_else(
    client: TestClient, store: MetadataStore, model_id: str
) -> None:
    add_user(store, "admin", Role.ADMIN)
    add_user(store, "viewer", Role.VIEWER)
    admin, _ = create_token(store, "admin", "a", scope=Scope.WRITE)
    predict, _ = create_token(store, "viewer", "p", scope=Scope.PREDICT)
    answers = [
        client.post(
            "/api/v1/deployments", json={"model_id": model_id, "name": n}, headers=bearer(admin)
        )
        for n in ("credit", "private")
    ]
    shared, private = (a.json()["id"] for a in answers)
    store.set_access(ResourceKind.DEPLOYMENT, shared, shares={"viewer": ShareLevel.READ})
    headers = bearer(predict)

    native = client.post(
        f"/api/v1/deployments/{shared}/predict", json={"records": RECORDS}, headers=headers
    )
    assert native.status_code == 200, native.text
    assert len(native.json()["predictions"]) == 2
    mlflow = client.post(
        "/serve/credit/invocations", json={"dataframe_records": RECORDS}, headers=headers
    )
    assert mlflow.status_code == 200, mlflow.text
    inputs = [
        {"name": "x", "shape": [2], "datatype": "FP64", "data": [0.5, -1.0]},
        {"name": "color", "shape": [2], "datatype": "BYTES", "data": ["red", "blue"]},
    ]
    oip = client.post("/v2/models/credit/infer", json={"inputs": inputs}, headers=headers)
    assert oip.status_code == 200, oip.text

    assert client.get(f"/api/v1/deployments/{shared}", headers=headers).status_code == 403
    assert client.get("/api/v1/deployments", headers=headers).status_code == 403
    assert client.get("/v2/models/credit", headers=headers).status_code == 403
    hidden = client.post(
        f"/api/v1/deployments/{private}/predict", json={"records": RECORDS}, headers=headers
    )
    assert hidden.status_code == 404
    assert (
        client.post(
            "/serve/private/invocations", json={"dataframe_records": RECORDS}, headers=headers
        ).status_code
        == 404
    )


def test_traffic_routes_only_to_registered_models_the_caller_may_see(
    client: TestClient, store: MetadataStore, model_id: str
) -> None:
    add_user(store, "admin", Role.ADMIN)
    add_user(store, "editor", Role.EDITOR)
    admin = bearer(create_token(store, "admin", "a", scope=Scope.WRITE)[0])
    editor = bearer(create_token(store, "editor", "e", scope=Scope.WRITE)[0])
    assert client.post("/api/v1/registry", json={"name": "secret"}, headers=admin).is_success
    version = client.post(
        "/api/v1/registry/secret/versions", json={"model_id": model_id}, headers=admin
    )
    assert version.status_code in (200, 201), version.text
    store.set_access(ResourceKind.MODEL, model_id, shares={"editor": ShareLevel.READ})
    created = client.post(
        "/api/v1/deployments", json={"model_id": model_id, "name": "mine"}, headers=editor
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/deployments/{created.json()['id']}/traffic"
    body = {"routes": [{"model": "secret/1", "weight": 100}], "shadow": [], "sticky": False}

    hidden = client.put(url, json=body, headers=editor)  # admin's private registered model
    assert hidden.status_code == 404, hidden.text
    assert "secret" in hidden.json()["detail"]
    shadowed = client.put(
        url,
        json={**body, "routes": [{"model": "secret/1", "weight": 100}], "shadow": ["secret/1"]},
        headers=editor,
    )
    assert shadowed.status_code == 404

    store.set_access(ResourceKind.REGISTERED_MODEL, "secret", shares={"editor": ShareLevel.READ})
    client.app.state.auth_cache.clear()  # type: ignore[attr-defined]  # as the API's sharing does
    shared = client.put(url, json=body, headers=editor)
    assert shared.status_code == 200, shared.text
    assert shared.json()["routes"][0]["model"] == "secret/1"
