"""The owner column of the lists costs one query per list, not one per row."""

from collections.abc import Iterator

import pytest
from auth_helpers import add_user, auth_settings, bearer
from fastapi.testclient import TestClient
from sqlalchemy import event

from tunelab.entities.auth import Principal, Role, Scope, acting_user
from tunelab.server import create_app
from tunelab.server.auth.service import create_token
from tunelab.tracking import MetadataStore

PAGES = ["/experiments", "/experiments/live", "/deployments", "/registry"]


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(auth_settings(tmp_path_factory.mktemp("owners") / "home"))
    with TestClient(app, base_url="http://localhost") as client:
        yield client


def _add(store: MetadataStore, owner: Principal, count: int, tag: str) -> None:
    """``count`` experiments, deployments and registered models owned by ``owner``."""
    mark = acting_user.set(owner)
    try:
        for i in range(count):
            dataset = store.add_dataset(
                name=f"d{tag}{i}", source="upload", uri="k", size_bytes=3, sha256="x"
            )
            experiment = store.create_experiment(dataset_id=dataset.id, target="y")
            model = store.add_model(name=f"m{tag}{i}", uri="nowhere", experiment_id=experiment.id)
            store.create_deployment(model.id, name=f"dep{tag}{i}")
            store.create_registered_model(f"reg{tag}{i}")
    finally:
        acting_user.reset(mark)


def _statements(client: TestClient, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """(statements in all, statements reading owners or access rows) of one page."""
    store = client.app.state.store  # type: ignore[attr-defined]
    client.app.state.auth_cache.clear()  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(*args: object) -> None:
        statement = str(args[2])
        if not statement.startswith(("UPDATE api_tokens", "INSERT INTO audit_events")):
            seen.append(statement)  # token use is written at most once a minute: not counted

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        answer = client.get(path, headers=headers)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert answer.status_code == 200, answer.text
    return len(seen), sum("resource_access" in statement for statement in seen)


def test_the_lists_query_a_constant_number_of_times(app_client: TestClient) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    owner = add_user(store, "owner", Role.EDITOR)
    headers = bearer(create_token(store, "owner", "t", scope=Scope.WRITE)[0])
    _add(store, owner, 3, "a")
    for path in PAGES:
        _statements(app_client, path, headers)  # warm up (token use is written once)
    few = {path: _statements(app_client, path, headers) for path in PAGES}
    _add(store, owner, 9, "b")
    many = {path: _statements(app_client, path, headers) for path in PAGES}
    for path in PAGES:  # the owner column (and the visibility filter): constant
        assert many[path][1] == few[path][1], path
    for path in ["/experiments", "/experiments/live", "/registry"]:  # the whole page, too
        assert many[path][0] == few[path][0], path
    page = app_client.get("/registry", headers=headers).text
    assert page.count('data-testid="owner"') == 12
    assert page.count(">owner</a>") == 12
