"""The authorization middleware: who is calling (session cookie or bearer token) and whether
the rule of the route they call (``policy.RULES``) lets them; fail closed.

It runs before the route (so an anonymous upload is refused before its body is read), sets
``request.state.principal`` and the ``acting_user`` context variable (the store then records
owners and filters lists), and checks the resources named by path parameters.
"""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tunelab.entities.auth import Principal, ResourceKind, ShareLevel, acting_user
from tunelab.entities.auth import Scope as TokenScope
from tunelab.server.auth.credentials import digest
from tunelab.server.auth.policy import (
    DEPLOYMENT_REF,
    JOB,
    Need,
    ParamKind,
    Rule,
    rule_for,
    unmapped_params,
)
from tunelab.server.auth.refs import Ref, refs_for

SESSION_COOKIE = "tunelab_session"
CACHE_SECONDS = 1.0  # a revoked token or ended session from another process: at most this late
MAX_CHECKED_BODY = 1 << 20  # a body naming resources is read first to check them (JSON, forms)
_API_PREFIXES = ("/api/", "/v2", "/serve/", "/openapi.json")
_JOB_KEYS = (
    ("deployment_id", ResourceKind.DEPLOYMENT),
    ("model_id", ResourceKind.MODEL),
    ("experiment_id", ResourceKind.EXPERIMENT),
    ("dataset_id", ResourceKind.DATASET),
)


class TTLCache:
    """A small time-limited cache of principals and permissions (cleared on local changes)."""

    def __init__(self, seconds: float = CACHE_SECONDS, size: int = 10_000) -> None:
        self.seconds, self.size = seconds, size
        self._items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> tuple[bool, Any]:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            return False, None
        return True, found[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (time.monotonic() + self.seconds, value)

    def clear(self) -> None:
        self._items.clear()


@dataclass(frozen=True)
class _Entry:
    regex: re.Pattern[str]
    methods: frozenset[str]
    template: str
    rules: dict[str, Rule | None]  # by method; None: no rule (refused)
    refs: dict[str, tuple[Ref, ...]]  # by method: resources named in the body / query


def route_entries(app: Any) -> list[tuple[str, frozenset[str], str]]:
    """``(method set, template)`` of every route of ``app``, flattened (mounts: GET)."""
    out = []
    for route in iter_route_contexts(app.routes):
        template = route.path_format or ""
        methods = frozenset(route.methods or {"GET", "HEAD"})
        regex = route.path_regex.pattern if getattr(route, "path_regex", None) else ""
        out.append((regex, methods, template))
    return [(r, m, t) for r, m, t in out if t]


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, fastapi_app: Any) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._entries: list[_Entry] | None = None
        self.cache = TTLCache()
        fastapi_app.state.auth_cache = self.cache

    def _index(self) -> list[_Entry]:
        if self._entries is None:
            entries = []
            for regex, methods, template in route_entries(self.fastapi_app):
                params = re.findall(r"{(\w+)(?::\w+)?}", template)
                rules: dict[str, Rule | None] = {}
                for method in methods:
                    rule = rule_for(method, template)
                    rules[method] = None if rule and unmapped_params(rule, params) else rule
                refs = {method: refs_for(method, template) for method in methods}
                entries.append(_Entry(re.compile(regex), methods, template, rules, refs))
            self._entries = entries
        return self._entries

    def _match(self, method: str, path: str) -> tuple[_Entry, dict[str, str]] | None:
        for entry in self._index():
            found = entry.regex.match(path)
            if found is not None and method in entry.methods:
                return entry, found.groupdict()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        matched = self._match(scope["method"], scope["path"]) or self._match(method, scope["path"])
        if matched is None:  # no route: the app answers 404 / 405
            await self.app(scope, receive, send)
            return
        entry, params = matched
        rule = entry.rules.get(scope["method"]) or entry.rules.get(method)
        if rule is None:
            await _answer(send, 403, f"no access rule for {method} {entry.template}")
            return
        state = scope["app"].state
        settings = state.settings
        if not settings.auth:  # single-user mode (127.0.0.1 only)
            await self.app(scope, receive, send)
            return
        principal = await self._principal(scope, state)
        scope.setdefault("state", {})["principal"] = principal
        refusal = await self._refusal(scope, state, rule, principal, params)
        refs = entry.refs.get(scope["method"]) or entry.refs.get(method) or ()
        if refusal is None and refs and principal is not None and not principal.is_admin:
            refusal, receive = await self._named(scope, receive, state, principal, refs)
        if refusal is not None:
            await refusal(send)
            return
        token = acting_user.set(principal)
        try:
            if rule.audit or scope["method"] == "DELETE":
                await self._audited(scope, receive, send, rule, entry.template, principal)
            else:
                await self.app(scope, receive, send)
        finally:
            acting_user.reset(token)

    async def _audited(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rule: Rule,
        template: str,
        principal: Principal | None,
    ) -> None:
        """Run the call; log who did what to which path when it succeeded."""
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status < 400 and principal is not None:
            action = rule.audit or f"delete {template}"
            store = scope["app"].state.store
            await run_in_threadpool(store.record_audit, principal.name, action, scope["path"])

    # ----- who ------------------------------------------------------------------------------
    async def _principal(self, scope: Scope, state: Any) -> Principal | None:
        bearer = session = ""
        for key, raw in scope["headers"]:
            if key == b"authorization":
                value = raw.decode("latin-1")
                if value[:7].lower() == "bearer ":
                    bearer = value[7:].strip()
            elif key == b"cookie":
                for part in raw.decode("latin-1").split(";"):
                    name, _, value = part.strip().partition("=")
                    if name == SESSION_COOKIE:
                        session = value
        if bearer:
            return await self._cached(("token", digest(bearer)), state.store.token_principal)
        if session:
            return await self._cached(("session", digest(session)), state.store.session_principal)
        return None

    async def _cached(self, key: tuple[str, str], load: Callable[[str], Any]) -> Any:
        hit, value = self.cache.get(key)
        if not hit:
            value = await run_in_threadpool(load, key[1])
            self.cache.put(key, value)
        return value

    # ----- may they ---------------------------------------------------------------------------
    async def _refusal(
        self,
        scope: Scope,
        state: Any,
        rule: Rule,
        principal: Principal | None,
        params: dict[str, str],
    ) -> Callable[[Send], Any] | None:
        if rule.need is Need.PUBLIC:
            return None
        if principal is None:
            return _unauthenticated(scope)
        problem = _role_problem(rule.need, principal, scope["method"])
        if problem:
            return _json(403, problem)
        if rule.query and not principal.is_admin:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            named = {k: query[k][0] for k in rule.query if query.get(k)}
            if rule.query_required and not named:
                return _json(403, f"name one of {sorted(rule.query)} (all of them: admins)")
            for name, value in named.items():
                refusal = await self._resource(state, principal, rule.query[name], value, rule)
                if refusal is not None:
                    return refusal
        if principal.is_admin:
            return None
        for name, value in params.items():
            refusal = await self._resource(state, principal, rule.kind_of(name), value, rule)
            if refusal is not None:
                return refusal
        return None

    async def _named(
        self, scope: Scope, receive: Receive, state: Any, principal: Principal, refs: Any
    ) -> tuple[Callable[[Send], Any] | None, Receive]:
        """Check the resources a request names in its query string and body (``refs``); the
        body is read here and handed on unchanged."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        body: dict[str, Any] | None = None
        if any(ref.where == "body" for ref in refs):
            messages, size = [], 0
            while True:
                message = await receive()
                messages.append(message)
                size += len(message.get("body", b""))
                if size > MAX_CHECKED_BODY:
                    return _json(413, "request body too large"), receive
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
            receive = _replay(messages, receive)
            body = await _fields(scope, _replay(messages, _disconnected))
        for ref in refs:
            values = query.get(ref.field, []) if ref.where == "query" else _values(body, ref.field)
            for raw in values:
                for value in ref.parse(raw) if isinstance(raw, str) else ():
                    refusal = await self._resource(state, principal, ref.kind, value, ref.level)
                    if refusal is not None:
                        return refusal, receive
        return None, receive

    async def _resource(
        self,
        state: Any,
        principal: Principal,
        kind: ParamKind,
        value: str,
        rule: Rule | ShareLevel,
    ) -> Callable[[Send], Any] | None:
        if kind is None:
            return None
        key = ("perm", principal.user_id, str(kind), value)
        hit, found = self.cache.get(key)
        if not hit:
            found = await run_in_threadpool(_permission, state.store, principal, kind, value)
            self.cache.put(key, found)
        exists, level, label = found
        if not exists:
            return None  # the route answers its own 404
        if level is None:
            return _json(404, f"{label} {value!r} does not exist")
        needed = rule if isinstance(rule, ShareLevel) else rule.needed_level
        if needed is ShareLevel.EDIT and level is not ShareLevel.EDIT:
            return _json(403, f"you may see {label} {value!r} but not change it")
        return None


def _replay(messages: list[Message], then: Receive) -> Receive:
    """A ``receive`` giving the buffered body messages again, then the real ones."""
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else await then()

    return receive


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


async def _fields(scope: Scope, receive: Receive) -> dict[str, Any] | None:
    """The body as a dict of fields (JSON object or form), None when it is neither (the route
    then answers its own 422)."""
    request = Request(scope, receive)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    json_kinds = kind in ("", "application/json") or (
        kind.startswith("application/") and kind.endswith("+json")
    )  # as FastAPI reads a JSON body: no content type, application/json, application/*+json
    try:
        if json_kinds:
            found = await request.json()
            return found if isinstance(found, dict) else None
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            return {key: form.getlist(key) for key in form}
    except (ValueError, UnicodeDecodeError, AssertionError):
        return None
    return None


def _values(body: dict[str, Any] | None, path: str) -> list[Any]:
    """The values at ``path`` (``a``, ``a[]``, ``a[].b``); form fields hold lists already."""
    if body is None:
        return []
    found: list[Any] = [body]
    for part in path.split("."):
        key = part.removesuffix("[]")
        step: list[Any] = []
        for item in found:
            if isinstance(item, dict) and key in item:
                value = item[key]
                step.extend(value if isinstance(value, list) else [value])
        found = step
    return found


def _permission(
    store: Any, principal: Principal, kind: ParamKind, value: str
) -> tuple[bool, ShareLevel | None, str]:
    """``(the resource exists, the caller's level, its label)``."""
    if kind == DEPLOYMENT_REF:
        found = store.active_deployment_named(value)
        if found is None:
            return False, None, "deployment"
        kind, value = ResourceKind.DEPLOYMENT, found.id
    if kind == JOB:
        try:
            job = store.get_job(value)
        except LookupError:
            return False, None, "job"
        for key, job_kind in _JOB_KEYS:
            if isinstance(job.payload.get(key), str):
                level = store.permission(principal, job_kind, job.payload[key])
                return True, level, "job"
        return True, None, "job"  # a job naming no resource: admins only
    resource = ResourceKind(str(kind))
    label = resource.value.replace("_", " ")
    if not _exists(store, resource, value):
        return False, None, label
    return True, store.permission(principal, resource, value), label


def _exists(store: Any, kind: ResourceKind, value: str) -> bool:
    getter = {
        ResourceKind.DATASET: store.get_dataset,
        ResourceKind.EXPERIMENT: store.get_experiment,
        ResourceKind.MODEL: store.get_model,
        ResourceKind.DEPLOYMENT: store.get_deployment,
        ResourceKind.REGISTERED_MODEL: store.get_registered_model,
    }[kind]
    try:
        getter(value)
    except LookupError:
        return False
    return True


def _role_problem(need: Need, principal: Principal, method: str) -> str:
    """Why the role or token scope does not allow ``need`` ("" when it does)."""
    scope, role = principal.scope, principal.role.value
    if scope is TokenScope.PREDICT and need is not Need.PREDICT:
        return "this token may only call prediction endpoints"
    if need is Need.WRITE:
        if role == "viewer":
            return "viewers cannot change anything"
        if scope is TokenScope.READ:
            return "this token is read-only"
    if need is Need.ADMIN:
        if role != "admin":
            return "admins only"
        if scope is TokenScope.READ and method not in ("GET", "HEAD"):
            return "this token is read-only"
    if need is Need.ACCOUNT and scope is TokenScope.READ and method not in ("GET", "HEAD"):
        return "this token is read-only"
    return ""


def _is_api(scope: Scope) -> bool:
    return str(scope["path"]).startswith(_API_PREFIXES)


def _unauthenticated(scope: Scope) -> Callable[[Send], Any]:
    if _is_api(scope):
        return _json(401, "sign in or send Authorization: Bearer TOKEN", bearer=True)
    target = scope["path"] + (
        "?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""
    )
    location = "/login?next=" + quote(target, safe="")
    htmx = any(key == b"hx-request" for key, _ in scope["headers"])
    if htmx:  # a fragment request: make HTMX load the sign-in page as a whole
        return _raw(401, b"", [(b"hx-redirect", location.encode())])
    return _raw(303, b"", [(b"location", location.encode())])


def _json(status: int, detail: str, *, bearer: bool = False) -> Callable[[Send], Any]:
    headers = [(b"content-type", b"application/json")]
    if bearer:
        headers.append((b"www-authenticate", b"Bearer"))
    return _raw(status, json.dumps({"detail": detail}).encode(), headers)


def _raw(status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> Callable[[Send], Any]:
    async def answer(send: Send) -> None:
        all_headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": all_headers})
        await send({"type": "http.response.body", "body": body})

    return answer


async def _answer(send: Send, status: int, detail: str) -> None:
    await _json(status, detail)(send)
