"""Resources a request reaches without naming them: a deployment's default name, the
deployment of a registry reference, the registered model a retrain promotes in."""

from pathlib import Path

import pytest
from auth_helpers import add_user, auth_settings, bearer
from fastapi.testclient import TestClient
from sqlalchemy import text

from tunelab.entities.auth import Principal, ResourceKind, Role, Scope, ShareLevel, acting_user
from tunelab.server import ServerSettings
from tunelab.server.auth.service import create_token
from tunelab.server.monitoring.retrain import champion_reference
from tunelab.tracking import MetadataStore


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:  # the server conftest's app, with auth on
    return auth_settings(tmp_path / "home")


def _callers(store: MetadataStore) -> tuple[dict[str, str], dict[str, str]]:
    add_user(store, "admin", Role.ADMIN)
    add_user(store, "editor", Role.EDITOR)
    admin = bearer(create_token(store, "admin", "a", scope=Scope.WRITE)[0])
    editor = bearer(create_token(store, "editor", "e", scope=Scope.WRITE)[0])
    return admin, editor


def test_a_default_name_never_takes_over_another_users_deployment(
    client: TestClient, store: MetadataStore, model_id: str
) -> None:
    admin, editor = _callers(store)
    first = client.post("/api/v1/deployments", json={"model_id": model_id}, headers=admin)
    assert first.status_code == 201, first.text
    theirs = store.get_deployment(first.json()["id"])
    store.set_access(ResourceKind.MODEL, model_id, shares={"editor": ShareLevel.READ})

    mine = client.post("/api/v1/deployments", json={"model_id": model_id}, headers=editor)
    assert mine.status_code == 201, mine.text
    created = store.get_deployment(mine.json()["id"])
    assert created.name == f"{theirs.name} (editor)"
    assert store.active_deployment_named(theirs.name).id == theirs.id  # type: ignore[union-attr]
    taken = client.post(
        "/api/v1/deployments", json={"model_id": model_id, "name": theirs.name}, headers=editor
    )
    assert taken.status_code == 404  # the name serves a deployment the editor may not see


def test_a_deployed_registry_reference_belongs_to_its_deployer(
    client: TestClient, store: MetadataStore, model_id: str
) -> None:
    _, editor = _callers(store)
    store.set_access(ResourceKind.MODEL, model_id, shares={"editor": ShareLevel.READ})
    assert client.post("/api/v1/registry", json={"name": "mine"}, headers=editor).is_success
    version = client.post(
        "/api/v1/registry/mine/versions", json={"model_id": model_id}, headers=editor
    )
    assert version.status_code in (200, 201), version.text
    created = client.post("/api/v1/deployments", json={"model": "mine/1"}, headers=editor)
    assert created.status_code == 201, created.text
    url = f"/api/v1/deployments/{created.json()['id']}"
    assert client.get(url, headers=editor).status_code == 200
    assert store.get_access(ResourceKind.DEPLOYMENT, created.json()["id"]).owner_name == "editor"


def test_a_retrain_never_moves_aliases_of_another_users_registered_model(
    client: TestClient, store: MetadataStore, model_id: str
) -> None:
    admin, editor = _callers(store)
    assert client.post("/api/v1/registry", json={"name": "secret"}, headers=admin).is_success
    assert client.post(
        "/api/v1/registry/secret/versions", json={"model_id": model_id}, headers=admin
    ).is_success
    store.set_access(ResourceKind.MODEL, model_id, shares={"editor": ShareLevel.READ})
    created = client.post(
        "/api/v1/deployments", json={"model_id": model_id, "name": "secret"}, headers=editor
    )
    assert created.status_code == 201, created.text

    user = store.get_user("editor")

    mark = acting_user.set(Principal(user.id, user.name, user.role))
    try:
        name, version = champion_reference(store, created.json()["id"])
    finally:
        acting_user.reset(mark)
    assert name == "secret-editor"
    assert version == 1
    assert store.get_access(ResourceKind.REGISTERED_MODEL, name).owner_name == "editor"
    assert "champion" not in store.get_registered_model("secret").aliases


def test_a_shared_deployment_does_not_name_a_private_experiment_or_dataset(
    client: TestClient, store: MetadataStore
) -> None:
    admin, editor = _callers(store)
    user = store.get_user("admin")
    mark = acting_user.set(Principal(user.id, user.name, user.role))
    try:
        dataset = store.add_dataset(
            name="private-data", source="upload", uri="k", size_bytes=3, sha256="x"
        )
        experiment = store.create_experiment(dataset_id=dataset.id, target="y", name="secret-exp")
        model = store.add_model(name="m", uri="nowhere", experiment_id=experiment.id)
        deployment = store.create_deployment(model.id, name="team-view")
    finally:
        acting_user.reset(mark)
    store.set_access(ResourceKind.DEPLOYMENT, deployment.id, shares={"editor": ShareLevel.READ})
    url = f"/api/v1/deployments/compare?ids={deployment.id}"
    item = client.get(url, headers=editor).json()["items"][0]
    assert (item["experiment_name"], item["dataset_name"]) == (None, None)
    store.set_access(ResourceKind.EXPERIMENT, experiment.id, shares={"editor": ShareLevel.READ})
    client.app.state.auth_cache.clear()  # type: ignore[attr-defined]
    item = client.get(url, headers=editor).json()["items"][0]
    assert (item["experiment_name"], item["dataset_name"]) == ("secret-exp", None)
    page = client.get("/deployments", headers=editor).text
    assert "team-view" in page
    assert "private-data" not in page
    assert client.get(url, headers=admin).json()["items"][0]["dataset_name"] == "private-data"


def test_a_model_shared_alone_does_not_name_its_private_experiment(
    client: TestClient, store: MetadataStore, model_id: str
) -> None:
    admin, editor = _callers(store)
    user = store.get_user("admin")
    mark = acting_user.set(Principal(user.id, user.name, user.role))
    try:
        dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
        experiment = store.create_experiment(dataset_id=dataset.id, target="y", name="secret-exp")
    finally:
        acting_user.reset(mark)
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE models SET experiment_id = :e WHERE id = :m"),
            {"e": experiment.id, "m": model_id},
        )
    store.set_access(ResourceKind.MODEL, model_id, shares={"editor": ShareLevel.READ})
    page = client.get(f"/models/{model_id}", headers=editor)
    assert page.status_code == 200, page.text
    assert "secret-exp" not in page.text
    assert "secret-exp" in client.get(f"/models/{model_id}", headers=admin).text
