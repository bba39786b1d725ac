"""A real two-node Ray cluster on 127.0.0.1, started per test module and always stopped."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

# workers use the installed tunelab, not a ``uv run`` copy of this folder (see RayExecutor)
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
ray = pytest.importorskip("ray")

RAY_BIN = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(temp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RAY_USAGE_STATS_ENABLED="0",
        # notice a lost node within ~2 s instead of ~30 s
        RAY_health_check_initial_delay_ms="500",
        RAY_health_check_period_ms="500",
        RAY_health_check_timeout_ms="1000",
        RAY_health_check_failure_threshold="3",
        TMPDIR=str(temp),
    )
    return env


@dataclass
class Cluster:
    """Address of a test cluster and the process group of each node (its own session)."""

    address: str
    env: dict[str, str]
    groups: dict[str, int] = field(default_factory=dict)  # node name -> process group id
    node2_args: list[str] = field(default_factory=list)  # ``ray start`` arguments of node2

    def node_ids(self) -> dict[str, str]:
        """``{"head"|"node2": node id}`` of the alive nodes, as seen from a driver."""
        out = subprocess.run(
            [sys.executable, "-c", _LIST_NODES, self.address],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        pairs = [line.split() for line in out.stdout.splitlines() if line.strip()]
        return {name: node for name, node in pairs}

    def kill_node(self, name: str) -> None:
        """SIGKILL a node's raylet and everything it started (its process group): the node
        is lost, as when its machine goes down."""
        _kill_group(self.groups.pop(name))

    def ensure_node2(self) -> None:
        """Start the second node again if an earlier test killed it; wait until it joined."""
        if "node2" not in self.groups:
            self.groups["node2"] = _start(self.node2_args, self.env)
        deadline = time.monotonic() + 60
        while "node2" not in self.node_ids():
            if time.monotonic() > deadline:
                raise RuntimeError("the second Ray node never joined")
            time.sleep(0.5)

    def runs_on(self, name: str, pid: int) -> bool:
        """Whether process ``pid`` was started by node ``name`` (its group or their children;
        a Katib trial's command runs in a session of its own)."""
        pgid = self.groups.get(name)
        if pgid is None:
            return False
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                if os.getpgid(proc.pid) != pgid:
                    continue
                if proc.pid == pid or pid in {c.pid for c in proc.children(recursive=True)}:
                    return True
        return False


_LIST_NODES = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
for node in ray.nodes():
    if node["Alive"]:
        name = "node2" if "node2" in node["Resources"] else "head"
        print(name, node["NodeID"])
"""


def _kill_group(pgid: int) -> None:
    """SIGKILL process group ``pgid`` (never the test's own) and any descendant that left it."""
    assert pgid != os.getpgid(0), "refusing to kill the test's own process group"
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
                members.extend(proc.children(recursive=True))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    for proc in members:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _start(args: list[str], env: dict[str, str], attempts: int = 3) -> int:
    """Run ``ray start ARGS`` in a new session; return that session's process group id.

    On a loaded machine a node may miss Ray's fixed 30 s start-up window: it is then killed
    and started again."""
    for attempt in range(attempts):
        try:
            return _start_once(args, env)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _start_once(args: list[str], env: dict[str, str]) -> int:
    proc = subprocess.Popen(
        [RAY_BIN, "start", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        raise RuntimeError("ray start did not return within 120 s") from None
    if proc.returncode != 0:
        _kill_group(proc.pid)
        raise RuntimeError(f"ray start failed: {out.decode(errors='replace')[-2000:]}")
    return proc.pid


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Cluster]:
    """Head (1 CPU) + a second node (1 CPU, resource ``node2``), both on 127.0.0.1."""
    # Ray's unix socket paths must stay short: a fresh folder directly under /tmp
    temp = Path(tempfile.mkdtemp(prefix="tlray"))
    env = _env(temp)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--disable-usage-stats", "--temp-dir", str(temp), "--num-cpus", "1"]
    common += ["--node-ip-address", "127.0.0.1"]
    cluster = Cluster(address, env)
    try:
        head = ["--head", "--port", str(port), "--include-dashboard=false"]
        cluster.groups["head"] = _start([*head, *common], env)
        cluster.node2_args = ["--address", address, "--resources", '{"node2": 1}', *common]
        cluster.groups["node2"] = _start(cluster.node2_args, env)
        deadline = time.monotonic() + 60
        while len(cluster.node_ids()) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("the second Ray node never joined")
            time.sleep(0.5)
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            if ray.is_initialized():
                ray.shutdown()
        for pgid in cluster.groups.values():
            _kill_group(pgid)
        shutil.rmtree(temp, ignore_errors=True)
