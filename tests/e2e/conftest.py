"""End-to-end fixtures: a real ``tunelab serve`` subprocess and a headless Chromium page.

- ``server_home``: that server's ``--home`` (a test may record rows in its database).
- ``object_store_endpoint``: the loopback S3 endpoint that server lets requests name.
- ``server``: base URL of ``tunelab serve --host 127.0.0.1 --port <free> --workers 2 --home <tmp>``
  (one per pytest process, so ``pytest -n 2`` runs two servers on two ports), with auth on:
  the admin ``E2E_USER`` is added first (``tunelab users add ... --password-stdin``).
- ``page``: a Playwright (sync API) page in Debian's chromium, signed in as ``E2E_USER`` (the
  sign-in form is filled once per process; every page starts from that session, and its API
  requests, ``page.request``, send the CSRF header); the test FAILS on any browser
  console error or page error, except messages a test declares with ``console.allow(regex)``
  (e.g. the 413 a test provokes on purpose).
- ``shot(name)``: full-page screenshot into ``$TUNELAB_SCREENSHOTS``
  (default ``test-artifacts/screenshots/``), named ``<area>-<name>.png``.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 90.0
E2E_USER = "e2e-admin"
E2E_PASSWORD = "e2e-password-not-secret"


def screenshots_dir() -> Path:
    """Where ``shot`` saves (the root conftest prints it after the run)."""
    folder = os.environ.get("TUNELAB_SCREENSHOTS")
    return Path(folder) if folder else REPO_ROOT / "test-artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tunelab_command() -> list[str]:
    script = Path(sys.executable).with_name("tunelab")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from tunelab.cli import main; main()"]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start_server(
    home: Path, log_path: Path, extra: tuple[str, ...] = (), object_store: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server on a free port; retry on another port if that one was taken.
    ``extra`` are more ``serve`` options (a later ``--workers`` wins); ``object_store`` is the
    one S3 endpoint its requests may name (a test that needs it starts moto there)."""
    env = {**os.environ, "TUNELAB_AUTH": "true"}  # the unit tests' default is single-user
    if object_store is not None:
        env["TUNELAB_OBJECT_STORE_ENDPOINTS"] = json.dumps([object_store])
    add_user = [*_tunelab_command(), "users", "add", E2E_USER, "--role", "admin"]
    subprocess.run(
        [*add_user, "--password-stdin", "--home", str(home)],
        input=f"{E2E_PASSWORD}\n".encode(),
        check=True,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
    )
    last_log = ""
    for _attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = [*_tunelab_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        # two workers: one test's job never waits behind another test's job on the same server
        command += ["--workers", "2", "--home", str(home), *extra]
        log = log_path.open("wb")
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _healthy(url):
                return process, url
            time.sleep(0.25)
        _stop(process)
        last_log = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"tunelab serve did not become healthy; log tail:\n{last_log}")


@pytest.fixture(scope="session")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``--home`` of the ``server`` fixture's process (its database and artifacts)."""
    return tmp_path_factory.mktemp("tunelab-e2e") / "home"


@pytest.fixture(scope="session")
def object_store_endpoint() -> str:
    """An S3 endpoint on loopback the ``server`` accepts in requests' credentials; nothing
    listens there until a test starts a moto server on it."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture(scope="session")
def server(server_home: Path, object_store_endpoint: str) -> Iterator[str]:
    """Base URL of a real ``tunelab serve`` (one per test process)."""
    log = server_home.parent / "server.log"
    process, url = _start_server(server_home, log, object_store=object_store_endpoint)
    try:
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # assertions wait up to 20 s: two servers, their workers and two browsers share 2 cores
    expect.set_options(timeout=20_000)
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (never run `playwright install`)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class ConsoleWatch:
    """Console errors and page errors seen in the browser during one test."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching ``pattern`` (an error the test provokes)."""
        self.allowed.append(re.compile(pattern))

    def record(self, text: str) -> None:
        self.errors.append(text)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a second server started with ``--ray-address`` (``RAY_CLUSTERS``) and no
    worker: pages offer those clusters, and no job ever connects to them."""
    from e2e_api import RAY_CLUSTERS

    root = tmp_path_factory.mktemp("tunelab-e2e-ray")
    extra = ("--ray-address", ",".join(RAY_CLUSTERS), "--workers", "0", "--no-sample")
    process, url = _start_server(root / "home", root / "server.log", extra)
    try:
        yield url
    finally:
        _stop(process)


@pytest.fixture
def ray_page(browser: Any, ray_server: str, console: ConsoleWatch) -> Iterator[Any]:
    """A signed-in page on ``ray_server``; browser errors fail the test as with ``page``."""
    state = sign_in(browser, ray_server)
    csrf = next(c["value"] for c in state["cookies"] if c["name"] == "tunelab_csrf")
    context = browser.new_context(
        base_url=ray_server,
        viewport={"width": 1366, "height": 900},
        locale="en-US",
        storage_state=state,
        extra_http_headers={"X-CSRF-Token": csrf},
    )
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    new_page.on("console", lambda m: m.type == "error" and console.record(f"console: {m.text}"))
    new_page.on("pageerror", lambda error: console.record(f"page error: {error}"))
    try:
        yield new_page
    finally:
        context.close()


@pytest.fixture(scope="session")
def signed_in(browser: Any, server: str) -> dict[str, Any]:
    """Sign in through the form once: the browser state (cookies) every ``page`` starts from."""
    return sign_in(browser, server)


def sign_in(browser: Any, server: str) -> dict[str, Any]:
    """The browser state (cookies) of ``E2E_USER`` signed in on ``server`` through the form."""
    context = browser.new_context(base_url=server)
    try:
        login = context.new_page()
        login.goto("/experiments")  # anonymous: sent to the sign-in page
        login.get_by_test_id("login-name").fill(E2E_USER)
        login.get_by_test_id("login-password").fill(E2E_PASSWORD)
        login.get_by_test_id("login-submit").click()
        login.wait_for_url(re.compile(r"/experiments"))
        return dict(context.storage_state())
    finally:
        context.close()


@pytest.fixture
def page(
    browser: Any, server: str, console: ConsoleWatch, signed_in: dict[str, Any]
) -> Iterator[Any]:
    """A fresh browser context and page, signed in, whose relative URLs go to ``server``."""
    csrf = next(c["value"] for c in signed_in["cookies"] if c["name"] == "tunelab_csrf")
    context = browser.new_context(
        base_url=server,
        viewport={"width": 1366, "height": 900},
        locale="en-US",
        storage_state=signed_in,
        extra_http_headers={"X-CSRF-Token": csrf},  # page.request's writes (a session's)
    )
    context.set_default_timeout(15_000)
    new_page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            console.record(f"console error: {message.text} ({location.get('url', '')})")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda error: console.record(f"page error: {error}"))
    try:
        yield new_page
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that used ``page`` when the browser logged an error."""
    result = yield
    funcargs = getattr(item, "funcargs", {})
    watch = funcargs.get("console")
    if ("page" in funcargs or "ray_page" in funcargs) and isinstance(watch, ConsoleWatch):
        problems = watch.unexpected()
        if problems:
            pytest.fail("browser errors:\n" + "\n".join(problems), pytrace=False)
    return result


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot("list")`` saves a full-page screenshot and returns its path."""
    folder = screenshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    area = request.path.stem.removeprefix("test_e2e_").removeprefix("test_")

    def take(name: str) -> Path:
        path = folder / f"{area}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
