"""On a real two-node Ray cluster: Katib trials as Ray tasks, AutoML trials on both nodes,
and losing a node mid-run loses no finished trial."""

import json
import operator
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from tests.integration.on_ray.conftest import Cluster

from tunelab import AutoML
from tunelab.client import Client
from tunelab.entities import TrialRecord, TrialStatus
from tunelab.executors import Call, CallEnd, EndState, RayExecutor, Resources
from tunelab.katib import load_experiment, run_experiment
from tunelab.katib.ray_executor import NODE_FILE
from tunelab.search import TrialTask

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "katib"


def test_katib_parallel_trials_run_as_ray_tasks(ray_cluster: Cluster, tmp_path: Path) -> None:
    """Runs before the node-loss test below (tests run in file order)."""
    cluster = ray_cluster
    shutil.copy(EXAMPLES / "train.py", tmp_path / "train.py")
    doc = yaml.safe_load((EXAMPLES / "random.yaml").read_text())
    doc["spec"].update(parallelTrialCount=2, maxTrialCount=4, maxFailedTrialCount=1)
    doc["metadata"]["name"] = "random-on-ray"
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(doc))
    spec = load_experiment(tmp_path / "exp.yaml")

    result = run_experiment(
        spec,
        tmp_path / "trials",
        tmp_path / "out",
        trial_timeout=120,
        source_dir=tmp_path,
        ray_address=cluster.address,
    )

    assert len(result.trials) == 4
    assert all(t.condition == "Succeeded" for t in result.trials), [
        (t.name, t.condition) for t in result.trials
    ]
    assert all(t.metrics for t in result.trials)
    ran_on = {
        (tmp_path / "trials" / t.name / NODE_FILE).read_text().split()[0] for t in result.trials
    }
    assert ran_on <= set(cluster.node_ids().values())
    assert (tmp_path / "out" / "experiment.json").is_file()


def test_ray_executor_runs_calls_with_cluster_deadlines(ray_cluster: Cluster) -> None:
    executor = RayExecutor(ray_cluster.address, warm_up_timeout=0)
    try:
        assert executor.capacity() == 2  # one CPU on each node
        deadline = time.monotonic() + 60.0
        executor.submit(Call(1, time.sleep, (60,), timeout=2.0))
        executor.submit(Call(2, operator.truediv, (1, 0), timeout=60.0))
        task = TrialTask(number=0, family="x", params={}, deadline=deadline)
        executor.submit(Call(3, getattr, (task, "deadline"), timeout=60.0))
        # the call's resources are the task's: what Ray assigned to it, read inside it
        assigned = lambda: __import__("ray").get_runtime_context().get_assigned_resources()  # noqa: E731
        wanted = Resources(cpus=1, memory_mb=64.0)
        executor.submit(Call(4, assigned, (), timeout=60.0, resources=wanted))
        ends: dict[int, CallEnd] = {}
        while executor.n_running:
            ends.update((end.key, end) for end in executor.wait(5.0))
    finally:
        executor.shutdown()
    assert ends[1].state is EndState.TIMED_OUT
    assert "cancelled on the cluster" in ends[1].reason
    assert ends[2].state is EndState.ERROR
    assert ends[2].reason.startswith("ZeroDivisionError")
    assert ends[2].node_id in ray_cluster.node_ids().values()
    assert ends[3].state is EndState.RETURNED
    # the deadline arrives on the node's clock (one machine here: the same instant)
    assert abs(ends[3].value - deadline) < 5.0
    assert ends[4].state is EndState.RETURNED, ends[4].reason
    assert ends[4].value["CPU"] == 1.0
    assert ends[4].value["memory"] == 64 * 2**20


def _frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(target=y)


@pytest.mark.slow
def test_automl_cli_runs_trials_on_the_cluster(ray_cluster: Cluster, tmp_path: Path) -> None:
    _frame(seed=3).to_csv(tmp_path / "train.csv", index=False)
    command = [
        str(Path(sys.executable).with_name("tunelab")),
        "automl",
        str(tmp_path / "train.csv"),
    ]
    command += ["--target", "target", "--out", str(tmp_path / "run"), "--max-trials", "4"]
    command += ["--algorithms", "logistic_regression,decision_tree", "--ensemble", "none"]
    command += ["--time-budget", "60", "--ray-address", ray_cluster.address]
    done = subprocess.run(
        command, env=ray_cluster.env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    board = pd.read_csv(tmp_path / "run" / "leaderboard.csv")
    assert len(board) == 4
    assert set(board["node_id"]) <= set(ray_cluster.node_ids().values())


@pytest.mark.slow
def test_platform_worker_runs_automl_jobs_on_the_cluster(
    ray_cluster: Cluster, tmp_path: Path
) -> None:
    """``tunelab serve --ray-address``: its worker's AutoML job runs trials as Ray tasks."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    tunelab = str(Path(sys.executable).with_name("tunelab"))
    command = [tunelab, "serve", "--port", str(port), "--workers", "1", "--no-sample"]
    command += ["--home", str(tmp_path), "--ray-address", ray_cluster.address]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(command, env=ray_cluster.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120
        while True:
            try:
                client.health()
                break
            except Exception:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        _frame(seed=5).to_csv(tmp_path / "train.csv", index=False)
        dataset_id = client.upload_dataset(tmp_path / "train.csv")
        client.wait_job(client._call("GET", "/jobs")["items"][0]["id"], timeout=120)
        # the experiment's executor section names the cluster and the trial resources
        experiment_id = client.create_experiment(
            dataset_id,
            "target",
            time_budget=40,
            executor={"kind": "ray", "address": ray_cluster.address},
            memory_limit_mb=256,
        )
        job_id = client.start_experiment(experiment_id)["job_id"]
        finished = client.wait_experiment(experiment_id, timeout=240, poll=0.5)
        assert finished["status"] == "finished", finished["error"]
        ends = [e["data"] for e in client.events(job_id, kinds=["trial_end"])]
        assert ends
        assert {e["node_id"] for e in ends} <= set(ray_cluster.node_ids().values())
        (start,) = [e["data"] for e in client.events(job_id, kinds=["run_start"])]
        assert (start["executor"], start["ray_address"]) == ("ray", ray_cluster.address)

        # on the same server, an experiment asking for local processes does not use Ray
        local_id = client.create_experiment(
            dataset_id,
            "target",
            time_budget=30,
            max_trials=2,
            algorithms=["logistic_regression"],
            executor={"kind": "local"},
        )
        local_job = client.start_experiment(local_id)["job_id"]
        finished = client.wait_experiment(local_id, timeout=240, poll=0.5)
        assert finished["status"] == "finished", finished["error"]
        ends = [e["data"] for e in client.events(local_job, kinds=["trial_end"])]
        assert {e["node_id"] for e in ends} == {"local"}
    finally:
        server.terminate()
        server.wait(timeout=60)


class KillNodeAfter:
    """Kills the second node once ``after`` trials have ended; remembers what ended before."""

    def __init__(self, cluster: Cluster, after: int) -> None:
        self.cluster, self.after = cluster, after
        self.before_kill: list[TrialRecord] = []
        self.killed = False

    def on_trial_end(self, record: TrialRecord) -> None:
        if self.killed:
            return
        self.before_kill.append(record)
        nodes = {r.node_id for r in self.before_kill if r.status is TrialStatus.OK}
        if len(self.before_kill) >= self.after and len(nodes) >= 2:
            self.cluster.kill_node("node2")
            self.killed = True


def test_automl_runs_on_both_nodes_and_survives_losing_one(
    ray_cluster: Cluster, tmp_path: Any
) -> None:
    nodes = ray_cluster.node_ids()
    killer = KillNodeAfter(ray_cluster, after=3)
    executor = RayExecutor(ray_cluster.address)
    try:
        model = AutoML(
            time_budget=40,
            trial_timeout=15,
            max_trials=10,
            algorithms=["logistic_regression", "decision_tree"],
            ensemble="none",
            refit_final=False,
            seed=1,
            callbacks=[killer],
            executor=executor,
        ).fit(_frame(), "target")
    finally:
        executor.shutdown()

    assert killer.killed, "the second node was never killed: trials never ran on both nodes"
    board = model.leaderboard()
    ran_on = set(board["node_id"])
    assert {nodes["head"], nodes["node2"]} <= ran_on
    assert set(board["host"]) != {""}
    # every trial finished before the node was lost is still on the board, unchanged
    for record in killer.before_kill:
        row = board[board["trial"] == record.number].iloc[0]
        assert row["status"] == record.status.value
        assert row["node_id"] == record.node_id
    # the search went on after the loss, on the surviving node
    after = board[~board["trial"].isin([r.number for r in killer.before_kill])]
    assert (after["status"] == TrialStatus.OK.value).any()
    assert set(after.loc[after["status"] == "ok", "node_id"]) == {nodes["head"]}
    # node ids reach the saved leaderboard files
    model.save(tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "leaderboard.json").read_text())
    assert {row["node_id"] for row in saved} >= {nodes["head"], nodes["node2"]}
    assert "node_id" in pd.read_csv(tmp_path / "run" / "leaderboard.csv").columns


TRIAL_SCRIPT = """
import os, time
from pathlib import Path

Path("started.pid").write_text(str(os.getpid()))  # the test finds the node running it
for epoch in range(4):
    time.sleep(1.0)
    print(f"epoch={epoch} accuracy={0.5 + 0.1 * epoch} loss={1.0 / (epoch + 1)}", flush=True)
"""


def test_katib_trials_survive_losing_a_node(ray_cluster: Cluster, tmp_path: Path) -> None:
    """``tunelab tune EXP.yaml --ray-address``: the second node is killed while it runs a
    trial; the experiment still finishes, and the lost trial was retried on the node left
    or is recorded failed with Ray's reason."""
    cluster = ray_cluster
    cluster.ensure_node2()  # an earlier test in this module may have killed it
    (tmp_path / "trial.py").write_text(TRIAL_SCRIPT)
    doc = yaml.safe_load((EXAMPLES / "random.yaml").read_text())
    doc["metadata"]["name"] = "node-loss-on-ray"
    doc["spec"].update(parallelTrialCount=2, maxTrialCount=5, maxFailedTrialCount=5)
    container = doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]
    container["containers"][0]["command"] = [
        "python3",
        "trial.py",
        "--lr=${trialParameters.learningRate}",  # every trial parameter must be used
        "--num-layers=${trialParameters.numberLayers}",
        "--optimizer=${trialParameters.optimizer}",
    ]
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(doc))
    tunelab = str(Path(sys.executable).with_name("tunelab"))
    command = [tunelab, "tune", str(tmp_path / "exp.yaml"), "--out", str(tmp_path / "out")]
    command += ["--workdir", str(tmp_path / "trials"), "--ray-address", cluster.address]
    log = (tmp_path / "tune.log").open("wb")
    tune = subprocess.Popen(command, env=cluster.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        victim = None
        deadline = time.monotonic() + 180
        while victim is None:
            assert tune.poll() is None, (tmp_path / "tune.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no trial ever ran on the second node"
            for marker in (tmp_path / "trials").glob("*/started.pid"):
                text = marker.read_text().strip()
                if text and cluster.runs_on("node2", int(text)):
                    victim = marker.parent.name
                    break
            time.sleep(0.2)
        head = cluster.node_ids()["head"]
        cluster.kill_node("node2")
        assert tune.wait(timeout=300) == 0, (tmp_path / "tune.log").read_text()[-3000:]
    finally:
        if tune.poll() is None:
            tune.kill()
            tune.wait()

    result = json.loads((tmp_path / "out" / "experiment.json").read_text())
    assert result["condition"]["type"] == "Succeeded", result["condition"]
    trials = {t["name"]: t for t in result["trials"]}
    assert len(trials) == 5
    lost = trials[victim]
    if lost["condition"] == "Succeeded":  # Ray ran it again, on the node left
        ran_on = (tmp_path / "trials" / victim / NODE_FILE).read_text().split()[0]
        assert ran_on == head
    else:
        assert lost["condition"] == "Failed", lost
        assert "lost on the Ray cluster" in lost["message"]
    # every other trial finished, on the node left once the second was gone
    others = [t for name, t in trials.items() if name != victim]
    assert all(t["condition"] == "Succeeded" for t in others), others
