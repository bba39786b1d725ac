"""``tunelab users ...`` / ``tunelab tokens ...`` on a home folder, ``serve --no-auth`` limits,
and the first start's admin and one-time login link."""

import re
from pathlib import Path

import pytest
from auth_helpers import login
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tunelab.cli._app import build_app
from tunelab.cli.platform_cmd import adopt_ownerless, first_admin
from tunelab.entities.auth import ResourceKind
from tunelab.server import ServerSettings, create_app
from tunelab.tracking import MetadataStore

runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(build_app(), list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_and_tokens_commands(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path)]
    _run("users", "add", "ana", "--role", "editor", "--password-stdin", *home, stdin="s3cret-pw\n")
    linked = _run("users", "add", "bo", "--role", "viewer", *home)
    assert re.search(r"/login/link/\S{20,}", linked)
    assert _run("users", "list", *home).splitlines() == [
        "ana\teditor\tactive",
        "bo\tviewer\tactive",
    ]
    bad = runner.invoke(build_app(), ["users", "add", "cy", "--role", "root", *home])
    assert bad.exit_code == 1
    assert "--role must be" in bad.output
    token = _run(
        "tokens",
        "create",
        "--user",
        "ana",
        "--name",
        "ci",
        "--scope",
        "predict",
        "--expires-days",
        "7",
        *home,
    ).strip()
    assert token.startswith("tl_")
    assert len(token) > 40
    listed = _run("tokens", "list", "--user", "ana", *home)
    assert listed.startswith(f"{token[:8]}\tana\tci\tpredict\t")
    assert listed.strip().endswith("active")
    assert token not in listed
    _run("tokens", "revoke", token[:8], *home)
    assert _run("tokens", "list", *home).strip().endswith("revoked")
    _run("users", "disable", "bo", *home)
    assert "bo\tviewer\tdisabled" in _run("users", "list", *home)
    settings = ServerSettings(home=tmp_path, auth=True)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401  # revoked


def test_no_auth_serves_loopback_only(tmp_path: Path) -> None:
    result = runner.invoke(
        build_app(), ["serve", "--no-auth", "--host", "0.0.0.0", "--home", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "127.0.0.1 only" in result.output
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
        create_app(ServerSettings(home=tmp_path, auth=False, host="0.0.0.0"))


def test_first_start_adds_an_admin_with_a_one_time_link(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = ServerSettings(home=tmp_path, auth=True)
    owner = first_admin(settings, "127.0.0.1", 8123)
    assert owner is not None
    assert owner.name == "admin"
    link = re.search(r"http://127\.0\.0\.1:8123(/login/link/\S+)", capsys.readouterr().out)
    assert link is not None
    assert first_admin(settings, "127.0.0.1", 8123) is None  # users exist: no new admin
    assert "no password set yet" in capsys.readouterr().out  # but a fresh link for it
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        first = client.get(link.group(1), follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/account/tokens"
        assert client.get("/api/v1/me").json()["name"] == "admin"
        assert "password-form" in client.get("/account/tokens").text
        csrf = client.cookies["tunelab_csrf"]
        saved = client.post(
            "/account/password", data={"password": "a-new-password", "csrf_token": csrf}
        )
        assert 'data-testid="password-set"' in saved.text
        client.cookies.clear()
        again = client.get(link.group(1), follow_redirects=False)
        assert again.headers["location"] == "/login"  # used up
        login(client, "admin", "a-new-password")
        assert client.get("/api/v1/me").json()["role"] == "admin"


def test_resources_made_before_auth_go_to_the_first_admin(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = ServerSettings(home=tmp_path, auth=True)
    with MetadataStore(settings.database_url) as store:  # as a single-user home left it
        dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
    first_admin(settings, "127.0.0.1", 8123)
    assert adopt_ownerless(settings) == {"dataset": 1}
    assert "gave 1 dataset without an owner" in capsys.readouterr().out
    with MetadataStore(settings.database_url) as store:
        assert store.get_access(ResourceKind.DATASET, dataset.id).owner_name == "admin"
        event = store.list_audit(limit=1)[0]
        assert (event.actor, event.action, event.target) == ("serve", "ownership.adopt", "admin")
        store.add_dataset(name="e", source="upload", uri="k", size_bytes=3, sha256="x")
    _run("users", "add", "ana", "--role", "editor", "--home", str(tmp_path))
    assert "gave 1 dataset" in _run("users", "adopt", "ana", "--home", str(tmp_path))
    assert "every resource has an owner" in _run("users", "adopt", "ana", "--home", str(tmp_path))
