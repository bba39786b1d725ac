"""Every resource a request names in its body (JSON or form) or query string is checked as a
path parameter is: table-driven over the app's routes and their body models, so a new route
with a resource-looking field and no entry in ``auth.refs`` fails here."""

import inspect
import re
import tempfile
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_helpers import World, auth_settings, build_world
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tunelab.entities.auth import Principal, ResourceKind, ShareLevel, acting_user
from tunelab.entities.platform import JobKind
from tunelab.server import create_app
from tunelab.server.auth import rule_for
from tunelab.server.auth.policy import DEPLOYMENT_REF, JOB
from tunelab.server.auth.refs import NOT_REFS, REFS, Ref, registered_name

# a field whose name says it names a resource (the last part of its path)
_LOOKS_LIKE_A_REF = re.compile(
    r"(_id|_ids)$|^(ids|compare|model|models|shadow|version|versions|dataset|experiment"
    r"|deployment|job|registered_model)$"
)
# endpoints that read their body themselves (no declared fields to enumerate): why no resource
READS_OWN_BODY = {
    "tunelab.server.ui.pages.leakage:exclude_suspects": "column names of the path's experiment",
    "tunelab.server.ui.pages.setup:save_setup": "settings of the path's experiment",
    "tunelab.server.ui.pages.dataset_pages:save_columns": "column settings of the path's data",
    "tunelab.server.ui.pages.dataset_pages:apply_recommendation": "column names of the path's "
    "data",
    "tunelab.server.protocols.oip:infer": "input tensors for the path's deployment",
    "tunelab.server.protocols.mlflow_scoring:invocations": "rows for the path's deployment",
}

_APP = create_app(auth_settings(Path(tempfile.gettempdir()) / "unused"))


def _api_routes() -> Iterator[tuple[str, str, APIRoute]]:
    for context in iter_route_contexts(_APP.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format:
            for method in sorted(route.methods - {"HEAD"}):
                yield method, context.path_format, route


def _model_paths(annotation: Any, prefix: str) -> list[str]:
    """Field paths of a body annotation (``routes[].model``, ``shadow[]``)."""
    out: list[str] = []
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, set, tuple) and args:
        inner = _model_paths(args[0], prefix + "[]")
        return inner or [prefix + "[]"]
    if origin is not None and args:  # Optional / Union / Annotated
        for arg in args:
            out += _model_paths(arg, prefix)
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            out += _model_paths(info.annotation, path) or [path]
    return out


def _fields(route: APIRoute) -> dict[str, str]:
    """Field path -> "body" or "query" for every declared body field and query parameter."""
    found = {p.alias: "query" for p in route.dependant.query_params}
    bodies = route.dependant.body_params
    for param in bodies:
        embedded = len(bodies) > 1 or isinstance(param.field_info, fastapi_params.Form)
        paths = _model_paths(param.field_info.annotation, param.alias if embedded else "")
        for path in paths or [param.alias]:
            found[path] = "body"
    return found


def _is_form(route: APIRoute) -> bool:
    return any(isinstance(p.field_info, fastapi_params.Form) for p in route.dependant.body_params)


_FIELDS = {(m, t): (_fields(r), r) for m, t, r in _api_routes()}
_REF_CASES = [(m, t, ref) for (m, t), refs in REFS.items() for ref in refs]


def _leaf(path: str) -> str:
    return path.split(".")[-1].removesuffix("[]")


def test_every_resource_looking_field_is_checked_or_explained() -> None:
    unexplained = []
    for (method, template), (fields, _) in _FIELDS.items():
        rule = rule_for(method, template)
        checked = {ref.field for ref in REFS.get((method, template), ())}
        for path in fields:
            if not _LOOKS_LIKE_A_REF.search(_leaf(path)):
                continue
            known = path in checked or (method, template, path) in NOT_REFS
            if not known and not (rule and path in rule.query):
                unexplained.append(f"{method} {template}: {path}")
    assert not unexplained, "add to auth.refs.REFS (or NOT_REFS with a reason)"


def test_the_tables_name_real_fields() -> None:
    for method, template, ref in _REF_CASES:
        fields, _ = _FIELDS[(method, template)]
        assert fields.get(ref.field) == ref.where, f"{method} {template}: {ref.field}"
    for method, template, field in NOT_REFS:
        assert field in _FIELDS[(method, template)][0], f"{method} {template}: {field}"


def test_endpoints_reading_their_own_body_are_listed() -> None:
    readers = set()
    for _, _, route in _api_routes():
        source = inspect.getsource(route.endpoint)
        if re.search(r"request\.(form|json|body|stream)\(\)", source):
            readers.add(f"{route.endpoint.__module__}:{route.endpoint.__name__}")
    assert readers == set(READS_OWN_BODY)


# ----- enforcement --------------------------------------------------------------------------
def _own_resources(store: Any, name: str) -> dict[str, str]:
    """A caller's own dataset, experiment, model, deployment, registered model and job, so a
    route's path is theirs and only the resource named in the body is someone else's."""
    user = store.get_user(name)
    mark = acting_user.set(Principal(user.id, user.name, user.role))
    try:
        dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
        experiment = store.create_experiment(dataset_id=dataset.id, target="y")
        model = store.add_model(name="m", uri="nowhere", experiment_id=experiment.id)
        deployment = store.create_deployment(model.id, name=f"{name}-dep")
        store.create_registered_model(f"{name}-reg")
    finally:
        acting_user.reset(mark)
    job = store.enqueue_job(JobKind.AUTOML.value, {"experiment_id": experiment.id})
    return {
        "dataset_id": dataset.id,
        "experiment_id": experiment.id,
        "model_id": model.id,
        "deployment_id": deployment.id,
        "job_id": job.id,
        "registered": f"{name}-reg",
        "deployment_name": f"{name}-dep",
    }


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, World, dict[str, dict[str, str]]]]:
    app = create_app(auth_settings(tmp_path_factory.mktemp("refs") / "home"))
    with TestClient(app, base_url="http://localhost") as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        w = build_world(store)
        own = {name: _own_resources(store, name) for name in ("outsider", "reader")}
        yield client, w, own


def _path(method: str, template: str, ids: dict[str, str]) -> str:
    rule = rule_for(method, template)
    assert rule is not None

    def value(match: re.Match[str]) -> str:
        kind = rule.kind_of(match.group(1))
        if kind is ResourceKind.REGISTERED_MODEL:
            return ids["registered"]
        if kind == DEPLOYMENT_REF:
            return ids["deployment_name"]
        return ids.get(match.group(1), "roc")

    return re.sub(r"{(\w+)(?::\w+)?}", value, template)


def _owners_value(ref: Ref, w: World) -> str:
    """The owner's resource the body or query names."""
    if ref.kind is ResourceKind.REGISTERED_MODEL:
        return "reg/1" if ref.parse is registered_name else "reg"
    if ref.kind == DEPLOYMENT_REF:
        return "dep"
    if ref.kind == JOB:
        return w.ids["job_id"]
    return w.ids[f"{ref.kind}_id"]


def _body(path: str, value: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    key = head.removesuffix("[]")
    inner: Any = _body(rest, value) if rest else value
    return {key: [inner] if head.endswith("[]") else inner}


@pytest.mark.parametrize(
    ("method", "template", "ref"), _REF_CASES, ids=[f"{m} {t} {r.field}" for m, t, r in _REF_CASES]
)
def test_a_named_resource_is_checked(
    method: str,
    template: str,
    ref: Ref,
    world: tuple[TestClient, World, dict[str, dict[str, str]]],
) -> None:
    client, w, own = world
    value = _owners_value(ref, w)
    _, route = _FIELDS[(method, template)]

    def call(caller: str) -> tuple[int, Any]:
        url = _path(method, template, own[caller])
        kwargs: dict[str, Any] = {"headers": w.headers[caller], "follow_redirects": False}
        if ref.where == "query":
            kwargs["params"] = {ref.field: value}
        elif _is_form(route):
            kwargs["data"] = {ref.field: value}
        else:
            kwargs["json"] = _body(ref.field, value)
        answer = client.request(method, url, **kwargs)
        is_json = answer.headers.get("content-type", "").startswith("application/json")
        return answer.status_code, answer.json() if is_json else None

    status, detail = call("outsider")
    assert status == 404, "a resource the caller may not see answers 404"
    hidden = detail
    status, detail = call("reader")
    if ref.level is ShareLevel.EDIT:
        assert status == 403, "visible but not editable answers 403"
    else:
        assert status != 403
        assert (status, detail) != (404, hidden), "a resource shared to read may be used"


_BODY_ROUTES = sorted({(m, t) for m, t, ref in _REF_CASES if ref.where == "body"})
_ODD_BODIES: list[dict[str, Any]] = [
    {"content": b"{not json", "headers": {"content-type": "application/json"}},
    {"json": ["a", "list"]},
    {"json": {"dataset_id": 5, "model_id": None, "routes": "x", "shadow": [None, 3]}},
    {"json": {"routes": [5, {"model": ["nested"]}], "model": "not a reference"}},
    {"content": b"dataset_id=%ff%fe", "headers": {"content-type": "text/plain"}},
    {"data": {"dataset_id": ""}},
]


@pytest.mark.parametrize(
    ("method", "template"), _BODY_ROUTES, ids=[" ".join(r) for r in _BODY_ROUTES]
)
def test_odd_bodies_never_break_the_check(
    method: str, template: str, world: tuple[TestClient, World, dict[str, dict[str, str]]]
) -> None:
    client, w, own = world
    url = _path(method, template, own["outsider"])
    for odd in _ODD_BODIES:
        body = dict(odd)
        headers = {**w.headers["outsider"], **body.pop("headers", {})}
        answer = client.request(method, url, headers=headers, **body)
        assert answer.status_code < 500, (body, answer.text)
    large = {"dataset_id": "x" * (1 << 20)}
    answer = client.request(method, url, headers=w.headers["outsider"], json=large)
    assert answer.status_code == 413


@pytest.mark.parametrize("content_type", [None, "application/vnd.api+json", "Application/JSON"])
def test_a_json_body_is_checked_whatever_its_content_type_says(
    content_type: str | None, world: tuple[TestClient, World, dict[str, dict[str, str]]]
) -> None:
    """FastAPI reads a body without a content type (or ``application/*+json``) as JSON: so
    does the check."""
    client, w, own = world
    url = f"/api/v1/deployments/{own['outsider']['deployment_id']}/batch"
    content = f'{{"dataset_id": "{w.ids["dataset_id"]}"}}'.encode()
    request = client.build_request("POST", url, content=content, headers=w.headers["outsider"])
    request.headers.pop("content-type", None)
    if content_type:
        request.headers["content-type"] = content_type
    assert client.send(request).status_code == 404
