"""Sign-in, sessions, CSRF, tokens (revoked, expired, predict-only), ownership and sharing,
and what the database keeps (no password or token in clear)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auth_helpers import PASSWORD, World, auth_settings, bearer, build_world, login
from fastapi.testclient import TestClient
from sqlalchemy import update

from tunelab.entities.auth import Scope
from tunelab.server import create_app
from tunelab.server.auth.service import create_token, login_link
from tunelab.tracking._orm import ApiTokenRow


@pytest.fixture
def app_world(tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    app = create_app(auth_settings(tmp_path / "home"))
    with TestClient(app, base_url="http://localhost") as client:
        yield client, build_world(client.app.state.store)  # type: ignore[attr-defined]


def test_pages_send_anonymous_browsers_to_sign_in(app_world: tuple[TestClient, World]) -> None:
    client, _ = app_world
    answer = client.get("/experiments?lang=ko", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fexperiments%3Flang%3Dko"
    fragment = client.get("/experiments/live", headers={"HX-Request": "true"})
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"].startswith("/login")
    assert client.get("/api/v1/datasets").status_code == 401
    assert client.get("/api/v1/datasets").headers["www-authenticate"] == "Bearer"


def test_sign_in_sets_a_safe_session_cookie_and_sign_out_ends_it(
    app_world: tuple[TestClient, World],
) -> None:
    client, _ = app_world
    client.get("/login")
    csrf = client.cookies["tunelab_csrf"]
    wrong = client.post(
        "/login", data={"name": "owner", "password": "nope-nope", "csrf_token": csrf}
    )
    assert wrong.status_code == 401
    answer = client.post(
        "/login",
        data={"name": "owner", "password": PASSWORD, "csrf_token": csrf, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "tunelab_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https adds it
    page = client.get("/experiments")
    assert page.status_code == 200
    assert 'data-testid="user-name">owner<' in page.text
    assert client.get("/api/v1/me").json() == {"name": "owner", "role": "editor", "scope": None}
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("tunelab_session", cookie.split(";")[0].split("=", 1)[1])
    assert client.get("/api/v1/me").status_code == 401  # the old cookie no longer works


def test_session_writes_need_the_csrf_token(app_world: tuple[TestClient, World]) -> None:
    client, w = app_world
    csrf = login(client, "owner")
    url = f"/api/v1/access/experiment/{w.ids['experiment_id']}"  # a cheap write
    refused = client.put(url, json={"visibility": "private"})  # no Origin, no token: still refused
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = client.put(url, json={"visibility": "private"}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    done = client.put(url, json={"visibility": "private"}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text


def test_disabled_users_and_revoked_or_expired_tokens_are_refused(
    app_world: tuple[TestClient, World],
) -> None:
    client, w = app_world
    store = client.app.state.store  # type: ignore[attr-defined]
    token, stored = create_token(store, "owner", "soon", scope=Scope.READ, expires_days=1)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with store._write() as s:
        s.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.prefix == stored.prefix)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    client.app.state.auth_cache.clear()  # type: ignore[attr-defined]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    prefix = w.tokens["owner-read"][:8]
    revoked = client.delete(f"/api/v1/tokens/{prefix}", headers=w.headers["owner"])
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    assert client.get("/api/v1/me", headers=w.headers["owner-read"]).status_code == 401
    other = client.delete(f"/api/v1/tokens/{w.tokens['viewer'][:8]}", headers=w.headers["owner"])
    assert other.status_code == 404  # not the owner's token
    disabled = client.post("/api/v1/users/viewer/disable", headers=w.headers["admin"])
    assert disabled.status_code == 200
    assert client.get("/api/v1/me", headers=w.headers["viewer"]).status_code == 401
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=w.headers["admin"]).json()]
    assert "token.revoke" in actions
    assert "user.disable" in actions


def test_lists_show_only_what_the_caller_may_see(app_world: tuple[TestClient, World]) -> None:
    client, w = app_world

    def ids(caller: str, what: str) -> set[str]:
        answer = client.get(f"/api/v1/{what}", headers=w.headers[caller])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items = body["items"] if isinstance(body, dict) else body
        return {i.get("id") or i.get("name") for i in items}

    for what, key in (("datasets", "dataset_id"), ("experiments", "experiment_id")):
        assert ids("outsider", what) == set()
        assert ids("reader", what) == {w.ids[key]}
        assert ids("admin", what) == {w.ids[key]}
    assert ids("outsider", "models") == set()
    assert ids("reader", "models") == {w.ids["model_id"]}
    assert ids("outsider", "registry") == set()
    assert ids("reader", "registry") == {"reg"}
    mine = client.post(
        "/api/v1/experiments",
        json={"dataset_id": w.ids["dataset_id"], "target": "y"},
        headers=w.headers["outsider"],
    )
    assert mine.status_code == 404  # the dataset of someone else's, not shared with them


def test_sharing_with_everyone_and_editors(app_world: tuple[TestClient, World]) -> None:
    client, w = app_world
    url = f"/api/v1/access/experiment/{w.ids['experiment_id']}"
    assert client.get(url, headers=w.headers["outsider"]).status_code == 404
    assert (
        client.put(url, json={"visibility": "everyone"}, headers=w.headers["reader"]).status_code
        == 403
    )
    shared = client.put(
        url,
        json={"visibility": "everyone", "shares": {"reader": "edit"}},
        headers=w.headers["owner"],
    )
    assert shared.status_code == 200, shared.text
    assert shared.json()["owner"] == "owner"
    assert shared.json()["shares"] == {"reader": "edit"}
    experiment = f"/api/v1/experiments/{w.ids['experiment_id']}"
    assert client.get(experiment, headers=w.headers["outsider"]).status_code == 200
    assert (
        client.patch(experiment, json={"name": "x"}, headers=w.headers["outsider"]).status_code
        == 403
    )
    assert (
        client.patch(experiment, json={"name": "x"}, headers=w.headers["reader"]).status_code
        == 200
    )
    model = f"/api/v1/models/{w.ids['model_id']}"  # a model is seen with its experiment
    assert client.get(model, headers=w.headers["outsider"]).status_code == 200


def test_no_password_or_token_is_stored_in_clear(app_world: tuple[TestClient, World]) -> None:
    client, w = app_world
    login(client, "owner")
    session = client.cookies["tunelab_session"]
    link = login_link(client.app.state.store, "viewer")  # type: ignore[attr-defined]
    home = Path(client.app.state.settings.home)  # type: ignore[attr-defined]
    client.app.state.store.close()  # type: ignore[attr-defined]
    data = b"".join(p.read_bytes() for p in home.glob("tunelab.db*"))
    assert b"api_tokens" in data  # the file is the right one
    for secret in [PASSWORD, session, link, *w.tokens.values()]:
        assert secret.encode() not in data
    assert b"$argon2id$" in data


def test_the_audit_log_records_deletions_alias_moves_and_token_use(
    app_world: tuple[TestClient, World],
) -> None:
    client, w = app_world
    deleted = client.delete(
        f"/api/v1/deployments/{w.ids['deployment_id']}", headers=w.headers["owner"]
    )
    assert deleted.status_code == 204, deleted.text
    refused = client.delete(f"/api/v1/datasets/{w.ids['dataset_id']}", headers=w.headers["reader"])
    assert refused.status_code == 403
    events = client.get("/api/v1/audit", headers=w.headers["admin"]).json()
    done = {(e["actor"], e["action"], e["target"]) for e in events}
    path = f"/api/v1/deployments/{w.ids['deployment_id']}"
    assert ("owner", "delete /api/v1/deployments/{deployment_id}", path) in done
    assert not any(e["actor"] == "reader" and e["action"].startswith("delete") for e in events)
    assert ("owner", "token.use", w.tokens["owner"][:8]) in done
    assert client.get("/api/v1/audit", headers=w.headers["owner"]).status_code == 403
