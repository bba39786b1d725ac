"""Alert webhooks resolve their host once, check the address and connect to that very
address (DNS rebinding between the check and the call is not followed); the URL's host
stays in the Host header and, for https, in the TLS server name."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
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


def _certificates(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for ``name`` only (no IP address) signed by it."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def build(subject: str, issuer: Any, key: Any, signer: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = build("test CA", ca_name, ca_key, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = build(name, ca.subject, key, ca_key, False)
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(leaf.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.mark.parametrize("certified", ["hooks.test", "other.test"])
def test_https_checks_the_certificate_of_the_name_at_the_pinned_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, certified: str
) -> None:
    import ssl

    import httpx

    ca, cert, key = _certificates(tmp_path, certified)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: names.append(name)
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            hosts.append(self.headers["Host"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real_client = httpx.Client

    def client_trusting_the_ca(**options: Any) -> httpx.Client:
        return real_client(verify=ssl.create_default_context(cafile=str(ca)), **options)

    monkeypatch.setattr(_webhook.httpx, "Client", client_trusting_the_ca)
    monkeypatch.setattr(_webhook, "_resolve", lambda host, port: ["127.0.0.1"])
    url = f"https://hooks.test:{server.server_port}/x"
    try:
        if certified == "hooks.test":
            send_webhook(url, {"a": 1}, allow_private=True)
            assert hosts == [f"hooks.test:{server.server_port}"]
        else:  # the certificate is checked against the URL's name, not the address
            with pytest.raises(httpx.ConnectError, match=r"certificate|hostname"):
                send_webhook(url, {"a": 1}, allow_private=True)
            assert hosts == []
        assert names[0] == "hooks.test"
    finally:
        server.shutdown()
        server.server_close()
