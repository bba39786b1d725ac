"""Every route of the app has an access rule, and the middleware enforces it for every kind of
caller (table-driven over the route list: a new route without a rule fails here)."""

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_helpers import World, auth_settings, build_world
from fastapi.testclient import TestClient

from tunelab.entities.auth import ResourceKind, ShareLevel
from tunelab.server import create_app
from tunelab.server.auth import Need, route_entries, rule_for, unmapped_params
from tunelab.server.auth.policy import DEPLOYMENT_REF, JOB

_ROUTES = sorted(
    {
        (method, template)
        for _, methods, template in route_entries(
            create_app(auth_settings(Path(tempfile.gettempdir()) / "unused"))
        )
        for method in methods
        if method != "HEAD"
    }
)
# deliberate: changing who may call without signing in must change this list
PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/link/{secret}"),
    ("GET", "/openapi.json"),
    ("GET", "/ui/static/plotly.min.js"),
    ("GET", "/ui/static/{path}"),
    ("GET", "/v2/health/live"),
    ("GET", "/v2/health/ready"),
    ("GET", "/serve/{name}/health"),
    ("GET", "/serve/{name}/ping"),
    ("GET", "/serve/{name}/version"),
}
# what a predict-only token may call
PREDICT = {
    ("POST", "/api/v1/deployments/{deployment_id}/predict"),
    ("POST", "/api/v1/deployments/{deployment_id}/batch"),
    ("POST", "/v2/models/{name}/infer"),
    ("POST", "/serve/{name}/invocations"),
}
_API = ("/api/", "/v2", "/serve/", "/openapi.json")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    app = create_app(auth_settings(tmp_path_factory.mktemp("auth") / "home"))
    with TestClient(app, base_url="http://localhost") as client:
        yield client, build_world(client.app.state.store)  # type: ignore[attr-defined]


def _params(template: str) -> list[str]:
    return re.findall(r"{(\w+)(?::\w+)?}", template)


def _path(method: str, template: str, world: World) -> str:
    rule = rule_for(method, template)
    assert rule is not None

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        kind = rule.kind_of(name)
        if kind is ResourceKind.REGISTERED_MODEL:
            return "reg"
        if kind == DEPLOYMENT_REF:
            return "dep"
        return world.ids.get(name, "1")

    return re.sub(r"{(\w+)(?::\w+)?}", value, template)


def _resources(method: str, template: str) -> list[str]:
    rule = rule_for(method, template)
    assert rule is not None
    return [p for p in _params(template) if rule.kind_of(p) is not None]


def test_the_route_list_is_complete() -> None:
    assert len(_ROUTES) > 100
    assert {r for r in _ROUTES if rule_for(*r) and rule_for(*r).need is Need.PUBLIC} == PUBLIC  # type: ignore[union-attr]
    assert {r for r in _ROUTES if rule_for(*r) and rule_for(*r).need is Need.PREDICT} == PREDICT  # type: ignore[union-attr]


@pytest.mark.parametrize(("method", "template"), _ROUTES, ids=[f"{m} {t}" for m, t in _ROUTES])
def test_every_route_has_a_rule_and_it_is_enforced(
    method: str, template: str, world: tuple[TestClient, World]
) -> None:
    rule = rule_for(method, template)
    assert rule is not None, f"no access rule for {method} {template}: add one to policy.RULES"
    assert not unmapped_params(rule, _params(template)), "map its path parameters"
    client, w = world
    path = _path(method, template, w)

    def call(caller: str | None) -> int:
        headers = w.headers[caller] if caller else {}
        answer = client.request(method, path, headers=headers, follow_redirects=False)
        if caller is None and answer.status_code == 303:
            to_login = answer.headers["location"].startswith("/login?next=")
            return 303 if to_login else answer.status_code * 1000  # another redirect
        return answer.status_code

    if rule.need is Need.PUBLIC:
        assert call(None) not in (401, 303)
        return
    assert call(None) == (401 if template.startswith(_API) else 303)
    if rule.need is not Need.PREDICT:
        assert call("owner-predict") == 403
    if rule.need in (Need.WRITE, Need.ADMIN):
        assert call("viewer") == 403
        assert call("owner-read") == 403
    if rule.need is Need.ADMIN:
        assert call("owner") == 403
    resources = _resources(method, template)
    if resources and rule.need not in (Need.ADMIN, Need.ACCOUNT):
        assert call("outsider") == 404, "a resource the caller may not see answers 404"
        if rule.needed_level is ShareLevel.EDIT:
            assert call("reader") == 403, "visible but not editable answers 403"
    if rule.query_required:
        assert call("outsider") == 403


def test_following_a_job_needs_access_to_its_experiment(world: tuple[TestClient, World]) -> None:
    client, w = world
    url = f"/api/v1/jobs/{w.ids['job_id']}"
    assert client.get(url, headers=w.headers["outsider"]).status_code == 404
    assert client.get(url, headers=w.headers["reader"]).status_code == 200
    stream = f"/api/v1/events/stream?job_id={w.ids['job_id']}"
    assert client.get(stream, headers=w.headers["outsider"]).status_code == 404
    assert JOB == "job"
