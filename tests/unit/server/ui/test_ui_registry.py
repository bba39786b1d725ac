"""Registry pages over a real app: list, detail (versions, metrics, alias badges, history),
promote and roll back from the form, refusals shown, in English and Korean."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1]))
from deployment_bundles import fit_model, frame, register, save

from tunelab.server import ServerSettings, create_app


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    df = frame()
    return save(
        fit_model("lightgbm", "binary", df), "binary", df, tmp_path_factory.mktemp("b") / "b"
    )


@pytest.fixture
def client(tmp_path: Path, bundle: Path) -> Iterator[TestClient]:
    app = create_app(ServerSettings(home=tmp_path / "home"))
    with TestClient(app, base_url="http://localhost") as test_client:
        state = test_client.app.state  # type: ignore[attr-defined]
        test_client.post("/api/v1/registry", json={"name": "churn", "description": "leavers"})
        for _ in range(2):
            model_id = register(state.store, state.artifacts, bundle, "lgbm")
            test_client.post("/api/v1/registry/churn/versions", json={"model_id": model_id})
        yield test_client


def test_list_and_detail_in_english_and_korean(client: TestClient) -> None:
    client.put("/api/v1/registry/churn/aliases/champion", json={"version": 1})
    english = client.get("/registry?lang=en").text
    assert 'data-testid="registry-row-churn"' in english
    assert "@champion → 1" in english
    korean = client.get("/registry?lang=ko").text
    assert "레지스트리" in korean
    detail = client.get("/registry/churn?lang=en").text
    assert 'data-testid="registry-version-2"' in detail
    assert 'data-testid="alias-champion"' in detail
    assert "valid.r2" in detail
    assert "0.9000" in detail
    assert "Alias history" in detail
    assert "별칭 기록" in client.get("/registry/churn?lang=ko").text
    assert client.get("/registry/nope").status_code == 404


def test_promote_roll_back_and_refusals(client: TestClient) -> None:
    moved = client.post(
        "/registry/churn/alias", data={"alias": "champion", "version": "2"}, follow_redirects=False
    )
    assert moved.status_code == 303
    client.post("/registry/churn/alias", data={"alias": "champion", "version": "1"})
    history = client.get("/api/v1/registry/churn").json()["history"]
    assert [(e["from_version"], e["to_version"]) for e in history] == [(2, 1), (None, 2)]
    bad = client.post("/registry/churn/alias", data={"alias": "Champ", "version": "1"})
    assert bad.status_code == 409
    assert "alias &#39;Champ&#39;" in bad.text or "alias 'Champ'" in bad.text
    client.post("/api/v1/deployments", json={"model": "churn@champion"})
    in_use = client.post("/registry/churn/alias/champion/delete")
    assert in_use.status_code == 409
    assert 'data-testid="registry-error"' in in_use.text
