"""The worker supervisor with real processes: restarts, back-off, giving up, health."""

import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from fastapi.testclient import TestClient

from tunelab.jobs import WorkerSupervisor
from tunelab.server import ServerSettings, create_app

SLEEPER = (
    "import pathlib, sys, time\n"
    "while True:\n"
    "    pathlib.Path(sys.argv[1]).touch()\n"
    "    time.sleep(0.2)\n"
)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_worker_is_restarted_and_its_leftovers_killed(tmp_path: Path) -> None:
    exits: list[str] = []
    # the "worker" starts a grandchild in its process group, as a job process would be
    script = SLEEPER.replace(
        "while True",
        "import subprocess\nsubprocess.Popen([sys.executable, '-c', "
        "'import time; time.sleep(600)'])\nwhile True",
    )

    def command(worker_id: str, beat: Path) -> list[str]:
        return [sys.executable, "-c", script, str(beat)]

    supervisor = WorkerSupervisor(1, command, tmp_path, on_exit=exits.append, check_interval=0.1)
    supervisor.start()
    try:
        _wait(lambda: supervisor.status()["alive"] == 1, 30, "the worker")
        first = supervisor.status()["workers"][0]
        worker = psutil.Process(first["pid"])
        _wait(lambda: len(worker.children()) == 1, 30, "its grandchild")
        grandchild = worker.children()[0]
        worker.send_signal(signal.SIGKILL)
        _wait(
            lambda: supervisor.status()["workers"][0]["pid"] not in (None, first["pid"]),
            30,
            "the replacement",
        )
        _wait(lambda: supervisor.status()["alive"] == 1, 30, "the replacement's heartbeat")
        status = supervisor.status()
        assert status["restarts"] == 1
        assert status["workers"][0]["last_exit"] == "killed by SIGKILL"
        assert exits == [first["worker_id"]]  # its leases were ended
        grandchild.wait(timeout=10)  # killed with the worker's process group
        replacement = psutil.Process(status["workers"][0]["pid"])
    finally:
        supervisor.stop()
    assert not replacement.is_running() or replacement.status() == psutil.STATUS_ZOMBIE


def test_a_crash_loop_backs_off_then_gives_up_and_health_is_degraded(tmp_path: Path) -> None:
    def command(worker_id: str, beat: Path) -> list[str]:
        return [sys.executable, "-c", "raise SystemExit(3)"]

    supervisor = WorkerSupervisor(
        1, command, tmp_path, backoff_base=0.1, max_fast_crashes=3, check_interval=0.05
    )
    supervisor.start()
    try:
        _wait(lambda: supervisor.status()["workers"][0]["gave_up"], 60, "giving up")
        status = supervisor.status()
        assert (status["expected"], status["alive"], status["restarts"]) == (1, 0, 2)
        assert status["workers"][0]["last_exit"] == "exited with code 3"
        app = create_app(ServerSettings(home=tmp_path / "home"), supervisor=supervisor)
        with TestClient(app, base_url="http://localhost") as client:
            health = client.get("/api/v1/health").json()
        assert health["status"] == "degraded"
        assert health["workers"]["workers"][0]["gave_up"] is True
    finally:
        supervisor.stop()


def test_orphans_die_with_their_parent(tmp_path: Path) -> None:
    """``die_with_parent`` in a forked child: SIGKILL of the parent takes the child along."""
    import subprocess

    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import multiprocessing as mp, os, sys, time\n"
        "from tunelab._lifeline import die_with_parent\n"
        "def child(parent):\n"
        "    die_with_parent(parent)\n"
        "    open(sys.argv[1], 'w').write(str(os.getpid()))\n"
        "    time.sleep(600)\n"
        "mp.get_context('fork').Process(target=child, args=(os.getpid(),)).start()\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code, str(pid_file)])
    try:
        _wait(lambda: pid_file.exists() and pid_file.read_text() != "", 60, "the child")
        child = psutil.Process(int(pid_file.read_text()))
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        _wait(
            lambda: not child.is_running() or child.status() == psutil.STATUS_ZOMBIE,
            10,
            "the orphan to die",
        )
    finally:
        if parent.poll() is None:
            parent.kill()
