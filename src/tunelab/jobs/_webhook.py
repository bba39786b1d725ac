"""Alert webhooks: which URLs the server may call, and one POST of an alert's JSON.

Only ``http``/``https`` URLs without credentials; every address the host name resolves to
must be public unless private addresses (loopback, private networks, link-local) are
allowed by the administrator (``TUNELAB_WEBHOOK_ALLOW_PRIVATE``), so a user cannot make the
server call internal services. The check runs again right before each call.
"""

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from tunelab.entities.errors import ConfigError

TIMEOUT_SECONDS = 5.0


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        raise ConfigError(f"webhook host {host!r} does not resolve") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_webhook_url(url: str, *, allow_private: bool = False, resolve: bool = True) -> str:
    """``url`` when the server may call it; ConfigError saying why not otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ConfigError("a webhook URL must start with http:// or https://")
    if not parts.hostname or parts.username or parts.password:
        raise ConfigError("a webhook URL needs a host and no user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigError("the webhook URL has an invalid port") from None
    if resolve:
        for address in _addresses(parts.hostname, port):
            public = address.is_global and not address.is_multicast
            if not public and not allow_private:
                raise ConfigError(
                    f"webhook host {parts.hostname!r} is a private or local address; the "
                    "server's administrator has not allowed those"
                )
    return url.strip()


def send_webhook(url: str, payload: dict[str, Any], *, allow_private: bool = False) -> None:
    """POST ``payload`` as JSON (no redirects followed); raises on refusal or a non-2xx."""
    check_webhook_url(url, allow_private=allow_private)
    response = httpx.post(url, json=payload, timeout=TIMEOUT_SECONDS, follow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise ConfigError(f"the webhook answered HTTP {response.status_code}")
