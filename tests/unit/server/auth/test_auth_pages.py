"""The web app with auth: owners in lists, the sharing page, tokens and admin pages (EN, KO)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_helpers import World, auth_settings, build_world, login
from fastapi.testclient import TestClient

from tunelab.server import create_app


@pytest.fixture(scope="module")
def app_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    app = create_app(auth_settings(tmp_path_factory.mktemp("pages") / "home"))
    with TestClient(app, base_url="http://localhost") as client:
        yield client, build_world(client.app.state.store)  # type: ignore[attr-defined]


def test_lists_name_the_owner_and_link_the_sharing_page(
    app_world: tuple[TestClient, World],
) -> None:
    client, w = app_world
    login(client, "reader")
    page = client.get("/experiments/live")
    assert page.status_code == 200
    assert f'href="/share/experiment/{w.ids["experiment_id"]}"' in page.text
    assert 'data-testid="owner"' in page.text
    for path in ("/registry", "/deployments"):
        assert ">owner</a>" in client.get(path).text
    share = client.get(f"/share/experiment/{w.ids['experiment_id']}?lang=ko")
    assert share.status_code == 200
    assert "공유" in share.text
    assert 'data-testid="share-form"' not in share.text  # a reader cannot change it
    assert client.get("/admin/users").status_code == 403
    client.cookies.clear()


def test_the_owner_shares_with_everyone_from_the_page(
    app_world: tuple[TestClient, World],
) -> None:
    client, w = app_world
    url = f"/share/dataset/{w.ids['dataset_id']}"
    outsider = client.get(f"/api/v1/datasets/{w.ids['dataset_id']}", headers=w.headers["outsider"])
    assert outsider.status_code == 404
    csrf = login(client, "owner")
    form = client.get(url)
    assert 'data-testid="share-form"' in form.text
    saved = client.post(
        url,
        data={"visibility": "everyone", "shares": "reader edit\n", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    client.cookies.clear()
    access = client.get(
        f"/api/v1/access/dataset/{w.ids['dataset_id']}", headers=w.headers["admin"]
    )
    assert access.json()["visibility"] == "everyone"
    assert access.json()["shares"] == {"reader": "edit"}
    seen = client.get(f"/api/v1/datasets/{w.ids['dataset_id']}", headers=w.headers["outsider"])
    assert seen.status_code == 200


def test_tokens_and_admin_pages_in_both_languages(app_world: tuple[TestClient, World]) -> None:
    client, _ = app_world
    csrf = login(client, "admin")
    created = client.post(
        "/account/tokens", data={"name": "nb", "scope": "predict", "csrf_token": csrf}
    )
    assert created.status_code == 200
    assert 'data-testid="token-secret">tl_' in created.text
    listing = client.get("/account/tokens?lang=ko")
    assert "API 토큰" in listing.text
    assert 'data-testid="token-secret"' not in listing.text  # shown once
    admin = client.get("/admin/users?lang=ko")
    assert admin.status_code == 200
    assert "감사 로그" in admin.text
    assert "sign-in" in admin.text
    client.cookies.clear()


def test_the_sign_in_page_speaks_korean(tmp_path: Path) -> None:
    with TestClient(create_app(auth_settings(tmp_path)), base_url="http://localhost") as client:
        page = client.get("/login?lang=ko")
        assert page.status_code == 200
        assert "로그인" in page.text


def test_the_resource_pages_share_in_a_dialog(app_world: tuple[TestClient, World]) -> None:
    client, w = app_world
    dialog = "/share/registered_model/reg/dialog"
    assert client.get(dialog, headers=w.headers["outsider"]).status_code == 404
    csrf = login(client, "reader")
    assert 'data-testid="share-form"' not in client.get(dialog).text  # sees, may not change
    refused = client.post(dialog, data={"visibility": "everyone", "csrf_token": csrf})
    assert refused.status_code == 403
    client.cookies.clear()

    csrf = login(client, "owner")
    page = client.get("/registry/reg")
    assert 'data-share="/share/registered_model/reg"' in page.text
    assert 'data-testid="share-modal"' in page.text
    body = client.get(dialog)
    assert body.status_code == 200
    assert "<html" not in body.text
    assert 'data-testid="share-form"' in body.text
    shares = "reader read\nviewer read\noutsider read\n"
    saved = client.post(
        f"{dialog}?lang=ko", data={"visibility": "private", "shares": shares, "csrf_token": csrf}
    )
    assert saved.status_code == 200, saved.text
    assert 'data-testid="share-saved"' in saved.text
    assert "저장했습니다" in saved.text
    bad = client.post(dialog, data={"visibility": "private", "shares": "nobody read"})
    assert bad.status_code == 403  # no CSRF token
    unknown = client.post(
        dialog, data={"visibility": "private", "shares": "nobody read", "csrf_token": csrf}
    )
    assert unknown.status_code == 422
    assert 'data-testid="share-error"' in unknown.text
    client.cookies.clear()
    seen = client.get("/api/v1/registry/reg", headers=w.headers["outsider"])
    assert seen.status_code == 200
    run_page = client.get(f"/experiments/{w.ids['experiment_id']}/run", headers=w.headers["owner"])
    assert f'data-share="/share/experiment/{w.ids["experiment_id"]}"' in run_page.text
