"""Alert webhooks resolve their host once, check the address and connect to that very
address (DNS rebinding between the check and the call is not followed); the URL's host
stays in the Host header and, for https, in the TLS server name."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tunelab.entities.errors import ConfigError
from tunelab.jobs import _webhook
from tunelab.jobs._webhook import pinned_request, send_webhook


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"host": self.headers["Host"], "path": self.path, "body": body})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, received
    server.shutdown()
    server.server_close()


def rebinding(first: str, later: str) -> tuple[Any, list[str]]:
    """A resolver answering ``first`` once, then ``later`` (a rebinding DNS server)."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return [first if len(asked) == 1 else later]

    return resolve, asked


def test_the_call_goes_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch, receiver: tuple[int, list[dict[str, Any]]]
) -> None:
    port, received = receiver
    resolve, asked = rebinding("127.0.0.1", "192.0.2.1")  # then an unroutable address
    monkeypatch.setattr(_webhook, "_resolve", resolve)
    send_webhook(f"http://hooks.invalid:{port}/alert?x=1", {"a": 1}, allow_private=True)
    assert asked == ["hooks.invalid"]  # resolved once; httpx never resolved the name again
    assert received == [{"host": f"hooks.invalid:{port}", "path": "/alert?x=1", "body": {"a": 1}}]


def test_a_private_answer_is_refused_before_any_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolve, asked = rebinding("10.0.0.7", "10.0.0.7")
    monkeypatch.setattr(_webhook, "_resolve", resolve)
    with pytest.raises(ConfigError, match="private or local"):
        send_webhook("https://hooks.invalid/x", {}, allow_private=False)
    assert asked == ["hooks.invalid"]


def test_https_keeps_the_name_for_tls_and_ipv6_gets_brackets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_webhook, "_resolve", lambda host, port: ["93.184.215.14"])
    target, headers, extensions = pinned_request("https://Hooks.Example.com/a/b?c=d")
    assert target == "https://93.184.215.14/a/b?c=d"
    assert headers == {"Host": "hooks.example.com"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    monkeypatch.setattr(_webhook, "_resolve", lambda host, port: ["2606:2800:21f:cb07::1"])
    target, headers, extensions = pinned_request("http://hooks.example.com:8080/a")
    assert target == "http://[2606:2800:21f:cb07::1]:8080/a"
    assert headers == {"Host": "hooks.example.com:8080"}
    assert extensions == {}
