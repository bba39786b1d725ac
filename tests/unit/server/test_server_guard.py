"""Cross-site protection: foreign Host refused, cross-site writes refused, CSRF token checked."""

import re

import pytest
from fastapi.testclient import TestClient
from server_helpers import CSV, upload

from tunelab.jobs import Worker
from tunelab.server import ServerSettings, create_app
from tunelab.server.guard import CSRF_COOKIE, split_host
from tunelab.tracking import MetadataStore

ORIGIN = "http://localhost"
EVIL = "http://evil.example"


def _page_token(client: TestClient) -> str:
    """The CSRF token a browser gets with a page (meta tag == cookie)."""
    page = client.get("/experiments")
    assert page.status_code == 200
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match is not None
    assert client.cookies.get(CSRF_COOKIE) == match.group(1)
    return match.group(1)


def _dataset_count(store: MetadataStore) -> int:
    return len(store.list_datasets(limit=100))


def test_split_host_forms() -> None:
    assert split_host("Example.org:8000") == ("example.org", 8000)
    assert split_host("[::1]:80") == ("::1", 80)
    assert split_host("localhost") == ("localhost", None)


@pytest.mark.parametrize("path", ["/api/v1/health", "/experiments", "/api/v1/datasets"])
def test_foreign_host_is_refused_even_for_get(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 403
    assert "host 'evil.example' is not allowed" in response.json()["detail"]


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000"])
def test_loopback_hosts_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/v1/health", headers={"Host": host}).status_code == 200


def test_configured_host_is_served(settings: ServerSettings) -> None:
    settings.allowed_hosts = ["lab.internal"]
    with TestClient(create_app(settings), base_url="http://lab.internal") as client:
        assert client.get("/api/v1/health").status_code == 200
        assert client.get("/api/v1/health", headers={"Host": "evil.example"}).status_code == 403


def test_allowed_hosts_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNELAB_ALLOWED_HOSTS", "a.example, b.example")
    assert ServerSettings().allowed_hosts == ["a.example", "b.example"]


def test_cross_site_form_post_is_refused(client: TestClient, store: MetadataStore) -> None:
    _page_token(client)  # the victim browser has visited tunelab: it holds the cookie
    response = client.post(
        "/api/v1/datasets",
        files={"file": ("train.csv", CSV.encode())},
        headers={"Origin": EVIL},
    )
    assert response.status_code == 403
    assert "cross-site request refused" in response.json()["detail"]
    assert _dataset_count(store) == 0


def test_cross_site_referer_without_origin_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/datasets",
        files={"file": ("train.csv", CSV.encode())},
        headers={"Referer": EVIL + "/page.html"},
    )
    assert response.status_code == 403


def test_other_port_on_localhost_is_foreign(client: TestClient) -> None:
    token = _page_token(client)
    response = client.post(
        "/api/v1/datasets",
        files={"file": ("train.csv", CSV.encode())},
        headers={"Origin": "http://localhost:3000", "X-CSRF-Token": token},
    )
    assert response.status_code == 403


def test_same_origin_browser_request_needs_the_token(
    client: TestClient, store: MetadataStore
) -> None:
    token = _page_token(client)
    files = {"file": ("train.csv", CSV.encode())}
    missing = client.post("/api/v1/datasets", files=files, headers={"Origin": ORIGIN})
    assert missing.status_code == 403
    assert "CSRF token" in missing.json()["detail"]
    wrong = client.post(
        "/api/v1/datasets", files=files, headers={"Origin": ORIGIN, "X-CSRF-Token": "x" * 43}
    )
    assert wrong.status_code == 403
    assert _dataset_count(store) == 0
    right = client.post(
        "/api/v1/datasets", files=files, headers={"Origin": ORIGIN, "X-CSRF-Token": token}
    )
    assert right.status_code == 201, right.text
    assert _dataset_count(store) == 1


def test_token_without_cookie_is_refused(client: TestClient) -> None:
    token = _page_token(client)
    client.cookies.clear()
    response = client.post(
        "/api/v1/datasets",
        files={"file": ("train.csv", CSV.encode())},
        headers={"Origin": ORIGIN, "X-CSRF-Token": token},
    )
    assert response.status_code == 403


def test_api_clients_without_origin_keep_working(client: TestClient) -> None:
    """curl/httpx send no Origin, Referer or cookie: no token needed."""
    dataset_id = upload(client)
    assert client.delete(f"/api/v1/datasets/{dataset_id}").status_code == 204


def test_bearer_token_clients_keep_working(settings: ServerSettings) -> None:
    settings.api_token = "s3cret"
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        headers = {"Authorization": "Bearer s3cret"}
        response = client.post(
            "/api/v1/datasets", files={"file": ("t.csv", CSV.encode())}, headers=headers
        )
        assert response.status_code == 201, response.text


def test_ui_form_post_uses_the_hidden_field(client: TestClient, worker: Worker) -> None:
    """A native form POST (urlencoded) passes with the page's hidden field, not without it."""
    dataset_id = upload(client)
    while worker.run_once():  # profile the dataset
        pass
    token = _page_token(client)
    experiment = client.post(
        "/api/v1/experiments",
        json={"dataset_id": dataset_id, "name": "e", "target": "label"},
    )
    assert experiment.status_code == 201, experiment.text
    exp_id = experiment.json()["id"]
    page = client.get(f"/experiments/{exp_id}/columns")
    assert page.status_code == 200
    assert f'name="csrf_token" value="{token}"' in page.text
    url = f"/experiments/{exp_id}/columns/recommend"
    refused = client.post(url, data={}, headers={"Origin": ORIGIN}, follow_redirects=False)
    assert refused.status_code == 403
    accepted = client.post(
        url, data={"csrf_token": token}, headers={"Origin": ORIGIN}, follow_redirects=False
    )
    assert accepted.status_code == 200, accepted.text  # the proposal page (nothing saved)


def test_pages_set_the_cookie_once(client: TestClient) -> None:
    first = client.get("/experiments")
    assert CSRF_COOKIE in first.headers.get("set-cookie", "")
    assert "samesite=lax" in first.headers["set-cookie"].lower()
    second = client.get("/experiments")
    assert CSRF_COOKIE not in second.headers.get("set-cookie", "")
    api = TestClient(client.app, base_url="http://localhost").get("/api/v1/health")
    assert "set-cookie" not in api.headers
