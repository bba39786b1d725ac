"""A real ``tunelab serve`` (web server + worker processes) on 127.0.0.1 and a free port."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from platform_helpers import Server, free_port

from tunelab.client import Client


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Server]:
    """Start ``serve`` with extra CLI args; returns a Client. Everything stops at teardown."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(
        *args: str, workers: int = 1, env: dict[str, str] | None = None, ready: float = 120
    ) -> Client:
        port = free_port()
        command = [sys.executable, "-m", "tunelab.cli.platform_cmd", "serve"]
        command += ["--port", str(port), "--workers", str(workers), "--home", str(tmp_path)]
        log = (tmp_path / f"serve-{port}.log").open("wb")
        process = subprocess.Popen(
            [*command, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    return Client(url)
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / f"serve-{port}.log").read_text()[-3000:])
            time.sleep(0.2)

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
