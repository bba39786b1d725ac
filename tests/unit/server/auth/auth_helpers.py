"""Users of every kind and resources owned by one of them, on an app with auth on."""

import functools
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from tunelab.entities.auth import Principal, ResourceKind, Role, Scope, ShareLevel, acting_user
from tunelab.entities.platform import JobKind
from tunelab.server import ServerSettings
from tunelab.server.auth.credentials import hash_password
from tunelab.server.auth.service import create_token
from tunelab.tracking import MetadataStore

PASSWORD = "correct horse battery"


def auth_settings(home: Path, **extra: object) -> ServerSettings:
    return ServerSettings(home=home, auth=True, max_upload_bytes=50_000, **extra)  # type: ignore[arg-type]


@dataclass
class World:
    """Bearer headers by caller and the ids of the owner's resources."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the shared one once


def add_user(store: MetadataStore, name: str, role: Role) -> Principal:
    user = store.create_user(name, role, password_hash=_password_hash())
    return Principal(user.id, user.name, user.role)


def build_world(store: MetadataStore) -> World:
    """admin, owner (editor), reader (editor, read shares), outsider (editor), viewer
    (viewer, read shares); tokens: write for each, plus owner's read and predict tokens.
    The owner owns a dataset, experiment, model, deployment ``dep``, registered model ``reg``
    and a job of the experiment."""
    world = World()
    principals = {
        "admin": add_user(store, "admin", Role.ADMIN),
        "owner": add_user(store, "owner", Role.EDITOR),
        "reader": add_user(store, "reader", Role.EDITOR),
        "outsider": add_user(store, "outsider", Role.EDITOR),
        "viewer": add_user(store, "viewer", Role.VIEWER),
    }
    for name in principals:
        token, _ = create_token(store, name, "t", scope=Scope.WRITE)
        world.tokens[name] = token
        world.headers[name] = bearer(token)
    for scope in (Scope.READ, Scope.PREDICT):
        token, _ = create_token(store, "owner", scope.value, scope=scope)
        world.tokens[f"owner-{scope.value}"] = token
        world.headers[f"owner-{scope.value}"] = bearer(token)
    mark = acting_user.set(principals["owner"])
    try:
        dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
        experiment = store.create_experiment(dataset_id=dataset.id, target="y")
        model = store.add_model(name="m", uri="nowhere", experiment_id=experiment.id)
        deployment = store.create_deployment(model.id, name="dep")
        store.create_registered_model("reg")
    finally:
        acting_user.reset(mark)
    job = store.enqueue_job(JobKind.AUTOML.value, {"experiment_id": experiment.id})
    world.ids = {
        "dataset_id": dataset.id,
        "experiment_id": experiment.id,
        "model_id": model.id,
        "deployment_id": deployment.id,
        "job_id": job.id,
    }
    shares = {"reader": ShareLevel.READ, "viewer": ShareLevel.READ}
    for kind, resource_id in (
        (ResourceKind.DATASET, dataset.id),
        (ResourceKind.EXPERIMENT, experiment.id),
        (ResourceKind.DEPLOYMENT, deployment.id),
        (ResourceKind.REGISTERED_MODEL, "reg"),
    ):
        store.set_access(kind, resource_id, shares=shares)
    return world


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form as a browser does; returns the CSRF token for writes."""
    client.get("/login")
    csrf = client.cookies.get("tunelab_csrf")
    assert csrf
    answer = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf, "next": "/experiments"},
        headers={"Origin": "http://localhost"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf
