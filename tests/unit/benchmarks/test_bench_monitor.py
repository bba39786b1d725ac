"""The child-process monitor: exit codes, memory sampling of children, hard kill."""

import sys
from pathlib import Path

from benchmarks.monitor import run_monitored

ALLOCATE_IN_CHILD = """
import subprocess, sys
code = (
    "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
    "time.sleep(1.5)"
)
sys.exit(subprocess.run([sys.executable, "-c", code]).returncode)
"""


def test_peak_memory_includes_grandchildren(tmp_path: Path) -> None:
    result = run_monitored(
        [sys.executable, "-c", ALLOCATE_IN_CHILD], timeout=60, log_path=tmp_path / "log.txt"
    )
    assert result.returncode == 0
    assert not result.timed_out
    assert result.peak_mb > 300


def test_non_zero_exit_and_log(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    result = run_monitored(
        [sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"], timeout=60, log_path=log
    )
    assert result.returncode == 3
    assert "hi" in log.read_text()


def test_timeout_kills_the_tree(tmp_path: Path) -> None:
    result = run_monitored(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        timeout=0.5,
        log_path=tmp_path / "log.txt",
    )
    assert result.timed_out
    assert result.returncode != 0
