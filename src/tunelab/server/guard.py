"""Cross-site protection as one pure ASGI middleware: Host check, Origin check, CSRF token.

* **Host** (every request): the ``Host`` header must name this server (``localhost``,
  ``127.0.0.1``, ``::1``, the bound host, ``TUNELAB_ALLOWED_HOSTS``), else 403. This stops DNS
  rebinding: a page of ``evil.example`` whose name now resolves to 127.0.0.1 still sends
  ``Host: evil.example``. When bound to a wildcard address (``0.0.0.0``), IP literals pass
  too (a rebinding attack needs a domain name).
* **Origin** (POST/PUT/PATCH/DELETE): when the request carries ``Origin`` (or, without it,
  ``Referer``), that origin must be this server's (same host and port), else 403.
* **CSRF token** (same requests, when they come from a browser, i.e. carry ``Origin`` or
  ``Referer``): double submit: the ``tunelab_csrf`` cookie must equal the ``X-CSRF-Token``
  header or the ``csrf_token`` field of a urlencoded form, else 403. Every HTML answer to a
  browser without the cookie sets it; pages put the token in ``<meta name="csrf-token">`` and
  in their forms (``request.state.csrf_token``).

API clients (curl, httpx, the Python client) send neither ``Origin`` nor ``Referer`` nor the
cookie and keep working unchanged; a bearer token (``TUNELAB_API_TOKEN``) is checked as before.
"""

import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "tunelab_csrf"
SESSION_COOKIE = "tunelab_session"  # a signed-in browser: its writes always need the token
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_MAX_FORM_BYTES = 8 * 1024 * 1024
_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)
_COOKIE_MAX_AGE = 30 * 24 * 3600


def allowed_host_names(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names a ``Host`` header may carry: loopback names, the bound host and ``extra``."""
    names = set(LOCAL_HOSTS) | {name.strip().lower().strip("[]") for name in extra}
    if bound_host not in WILDCARD_HOSTS:
        names.add(bound_host.lower().strip("[]"))
    return frozenset(name for name in names if name)


def split_host(value: str) -> tuple[str, int | None]:
    """``"Example.org:8000"`` -> ``("example.org", 8000)``; ``"[::1]"`` -> ``("::1", None)``."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        name, rest = value[1:end], value[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        name, port = value.split(":")
    else:
        name, port = value, ""
    return name, int(port) if port.isdigit() else None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _valid_token(value: str | None) -> bool:
    return value is not None and len(value) == _TOKEN_LENGTH and value.isascii()


class RequestGuard:
    """Refuse foreign ``Host`` headers, cross-site writes and browser writes without the token."""

    def __init__(
        self, app: ASGIApp, *, allowed_hosts: frozenset[str], allow_ip_hosts: bool = False
    ) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.allow_any_host = "*" in allowed_hosts
        self.allow_ip_hosts = allow_ip_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = referer = cookie = token = content_type = ""
        for key, raw in scope["headers"]:
            if key == b"host":
                host = raw.decode("latin-1")
            elif key == b"origin":
                origin = raw.decode("latin-1")
            elif key == b"referer":
                referer = raw.decode("latin-1")
            elif key == b"cookie":
                cookie = raw.decode("latin-1")
            elif key == b"x-csrf-token":
                token = raw.decode("latin-1")
            elif key == b"content-type":
                content_type = raw.decode("latin-1")
        if host and not self._host_allowed(host):
            name = split_host(host)[0]
            await _refuse(
                send,
                f"host '{name}' is not allowed; add it to TUNELAB_ALLOWED_HOSTS "
                "(or tunelab serve --allowed-host) if this server should answer to it",
            )
            return
        cookie_token = _cookie(cookie, CSRF_COOKIE) if cookie else None
        if not _valid_token(cookie_token):
            cookie_token = None
        signed_in = bool(cookie) and _cookie(cookie, SESSION_COOKIE) is not None
        if scope["method"] in _UNSAFE and (origin or referer or signed_in):
            source = origin or referer
            if source and not self._same_origin(source, host, scope.get("scheme", "http")):
                shown = source if origin else "the Referer"
                await _refuse(
                    send, f"cross-site request refused: origin {shown} is not this server"
                )
                return
            if not token and content_type.startswith("application/x-www-form-urlencoded"):
                body, receive = await _read_body(receive)
                if body is None:
                    await _refuse(send, "form too large", status=413)
                    return
                fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
                token = (fields.get(CSRF_FIELD) or [""])[0]
            if cookie_token is None or not hmac.compare_digest(token, cookie_token):
                await _refuse(
                    send,
                    "missing or wrong CSRF token: reload the page and try again "
                    f"(browser requests need the {CSRF_COOKIE} cookie and the "
                    f"X-CSRF-Token header or {CSRF_FIELD} form field)",
                )
                return
        state = scope.setdefault("state", {})
        state["csrf_token"] = cookie_token or secrets.token_urlsafe(32)
        if cookie_token is not None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _cookie_setter(send, state["csrf_token"]))

    def _host_allowed(self, host: str) -> bool:
        name = split_host(host)[0]
        if self.allow_any_host or name in self.allowed_hosts:
            return True
        return self.allow_ip_hosts and _is_ip(name)

    @staticmethod
    def _same_origin(source: str, host: str, scheme: str) -> bool:
        parts = urlsplit(source)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or not host:
            return False
        origin_port = parts.port or _DEFAULT_PORTS[parts.scheme]
        name, port = split_host(host)
        return parts.hostname.lower() == name and origin_port == (
            port or _DEFAULT_PORTS.get(scheme, 80)
        )


def _cookie_setter(send: Send, token: str) -> Send:
    """Add the CSRF cookie to an HTML answer (pages are where browsers pick it up)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                cookie = (
                    f"{CSRF_COOKIE}={token}; Path=/; Max-Age={_COOKIE_MAX_AGE}; "
                    "HttpOnly; SameSite=Lax"
                )
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}
        await send(message)

    return wrapped


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole (small) body, and a ``receive`` that hands it to the app again."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(send: Send, message: str, status: int = 403) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
