"""Alert webhooks: which URLs the server may call, and one POST of an alert's JSON.

Only ``http``/``https`` URLs without credentials; every address the host name resolves to
must be public unless private addresses (loopback, private networks, link-local) are
allowed by the administrator (``TUNELAB_WEBHOOK_ALLOW_PRIVATE``), so a user cannot make the
server call internal services. Before each call the name is resolved once, every address
checked, and the connection made to the first checked address itself (the URL's host stays
in the ``Host`` header and, for https, in the TLS server name and certificate check): a DNS
answer that changes between the check and the call (DNS rebinding) is never used.
"""

import ipaddress
import socket
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from tunelab.entities.errors import ConfigError

TIMEOUT_SECONDS = 5.0
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _addresses(host: str, port: int) -> list[Address]:
    try:
        found = _resolve(host, port)
    except OSError:
        raise ConfigError(f"webhook host {host!r} does not resolve") from None
    if not found:
        raise ConfigError(f"webhook host {host!r} does not resolve")
    return [ipaddress.ip_address(text.split("%", 1)[0]) for text in found]


def _parts(url: str) -> tuple[SplitResult, int]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ConfigError("a webhook URL must start with http:// or https://")
    if not parts.hostname or parts.username or parts.password:
        raise ConfigError("a webhook URL needs a host and no user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigError("the webhook URL has an invalid port") from None
    return parts, port


def _checked(host: str, port: int, allow_private: bool) -> list[Address]:
    """The host's addresses, once every one of them is allowed."""
    addresses = _addresses(host, port)
    for address in addresses:
        public = address.is_global and not address.is_multicast
        if not public and not allow_private:
            raise ConfigError(
                f"webhook host {host!r} is a private or local address; the "
                "server's administrator has not allowed those"
            )
    return addresses


def check_webhook_url(url: str, *, allow_private: bool = False, resolve: bool = True) -> str:
    """``url`` when the server may call it; ConfigError saying why not otherwise."""
    parts, port = _parts(url)
    if resolve:
        _checked(str(parts.hostname), port, allow_private)
    return url.strip()


def pinned_request(url: str, *, allow_private: bool = False) -> tuple[str, dict[str, str], Any]:
    """Resolve and check the URL's host once; returns the URL aimed at the checked address,
    the ``Host`` header and the request extensions (the TLS server name for https)."""
    parts, port = _parts(url)
    host = str(parts.hostname)
    address = _checked(host, port, allow_private)[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    target = parts._replace(netloc=netloc).geturl()
    host_header = f"{host}:{parts.port}" if parts.port else host
    if ":" in host and not host.startswith("["):  # an IPv6 literal keeps its brackets
        host_header = f"[{host}]:{parts.port}" if parts.port else f"[{host}]"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, {"Host": host_header}, extensions


def send_webhook(url: str, payload: dict[str, Any], *, allow_private: bool = False) -> None:
    """POST ``payload`` as JSON to the checked address (no redirects followed); raises on
    refusal or a non-2xx."""
    target, headers, extensions = pinned_request(url, allow_private=allow_private)
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST", target, json=payload, headers=headers, extensions=extensions
        )
        response = client.send(request)
    if not 200 <= response.status_code < 300:
        raise ConfigError(f"the webhook answered HTTP {response.status_code}")
