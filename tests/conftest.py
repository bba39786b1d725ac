"""Shared fixtures, and the browser tests' screenshot folder named in the run's summary."""

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

# Tests build apps in single-user mode unless they opt in to auth (``ServerSettings(auth=True)``,
# tests/unit/server/auth); the browser tests' server turns it back on (tests/e2e/conftest.py).
os.environ["TUNELAB_AUTH"] = "false"

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / "tests" / "data"


def _screenshots() -> Path:
    folder = os.environ.get("TUNELAB_SCREENSHOTS")
    return Path(folder) if folder else REPO_ROOT / "test-artifacts" / "screenshots"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start from an empty screenshot folder (in the main process, before any worker)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(_screenshots(), ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    folder = _screenshots()
    shots = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "browser test screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshots saved in {folder.resolve()}")


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The small real tables kept in the repository (tests/data; sources in its README)."""
    return TEST_DATA
