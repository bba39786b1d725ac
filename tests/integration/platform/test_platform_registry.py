"""Registry, aliases and serving protocols against a real ``tunelab serve`` (web server and
a worker process) on 127.0.0.1, with models trained by that worker once for the module."""

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from platform_helpers import free_port, make_csv
from typer.testing import CliRunner

from tunelab.cli._app import build_app
from tunelab.client import Client
from tunelab.server import ServerSettings
from tunelab.tracking import MetadataStore

pytestmark = pytest.mark.slow  # a server, a worker and one training: ~1 min on 2 cores

ROW = {"x": 0.4, "color": "red"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served home with two trained models (logistic regression, LightGBM)."""
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    command = [sys.executable, "-m", "tunelab.cli.platform_cmd", "serve", "--no-sample"]
    command += ["--port", str(port), "--workers", "1", "--home", str(home)]
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((home / "serve.log").read_text()[-3000:])
            time.sleep(0.2)
        client = Client(url)
        dataset_id = client.upload_dataset(make_csv(home / "train.csv"))
        experiment_id = client.create_experiment(
            dataset_id, "label", time_budget=5, max_trials=1, algorithms=["logistic_regression"],
            ensemble=False,
        )  # fmt: skip
        client.start_experiment(experiment_id)
        done = client.wait_experiment(experiment_id, timeout=300, poll=0.3)
        assert done["status"] == "finished", done["error"]
        # a second model (a copy of the trained bundle) to move aliases between
        with MetadataStore(ServerSettings(home=home).database_url) as store:
            trained = store.get_model(done["best_model_id"])
            copy = store.add_model(
                name="copy", uri=trained.uri, experiment_id=experiment_id, metrics=trained.metrics
            )
        models = [(trained.id, experiment_id), (copy.id, experiment_id)]
        yield {"url": url, "client": client, "models": models, "dataset_id": dataset_id}
        client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cli(url: str, *args: str) -> Any:
    result = CliRunner().invoke(build_app(), ["registry", *args, "--url", url])
    return result


def test_cli_manages_versions_aliases_and_history(server: dict[str, Any]) -> None:
    url, client = server["url"], server["client"]
    (first, experiment_id), (second, _) = server["models"]
    assert _cli(url, "create", "credit", "--description", "loan risk").exit_code == 0
    assert _cli(url, "add-version", "credit", first).output.strip() == "credit/1"
    assert _cli(url, "add-version", "credit", second).output.strip() == "credit/2"
    assert (
        _cli(url, "set-alias", "credit", "champion", "1").output.strip()
        == "credit@champion: - -> 1"
    )
    assert (
        _cli(url, "set-alias", "credit", "champion", "2").output.strip()
        == "credit@champion: 1 -> 2"
    )
    listing = _cli(url, "list").output
    assert "credit  latest=2  @champion=2" in listing
    shown = json.loads(_cli(url, "show", "credit", "--json").output)
    oldest = shown["versions"][-1]
    dataset = client.get_dataset(server["dataset_id"])
    assert oldest["lineage"]["experiment_id"] == experiment_id
    assert oldest["lineage"]["dataset_fingerprint"] == dataset["sha256"]
    assert oldest["lineage"]["settings"]["algorithms"] == ["logistic_regression"]
    assert oldest["metrics"]
    assert [(e["from_version"], e["to_version"]) for e in shown["history"]] == [(1, 2), (None, 1)]
    text = _cli(url, "show", "credit").output
    assert "@champion: 1 -> 2  by local" in text
    refused = _cli(url, "set-alias", "credit", "Champion", "1")
    assert refused.exit_code == 1
    assert "alias 'Champion'" in refused.output
    assert _cli(url, "create", "credit").exit_code == 1
    assert _cli(url, "delete-alias", "credit", "champion").exit_code == 0
    assert client.get_registered_model("credit")["aliases"] == {}


def test_alias_moves_under_load_fail_no_request(server: dict[str, Any]) -> None:
    url, client = server["url"], server["client"]
    (first, _), (second, _) = server["models"]
    client.create_registered_model("live")
    client.add_model_version("live", first)
    client.add_model_version("live", second)
    client.set_alias("live", "champion", 1)
    deployment_id = client.deploy(model="live@champion")
    assert client.predict(deployment_id, [ROW])["model"] == "live/1"
    stop = threading.Event()
    seen: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def hammer() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                response = http.post(
                    f"/api/v1/deployments/{deployment_id}/predict", json={"records": [ROW]}
                )
                model = response.json().get("model") if response.status_code == 200 else None
                with lock:
                    seen.append((response.status_code, model))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for version in (2, 1, 2, 1, 2):
            time.sleep(0.3)
            client.set_alias("live", "champion", version)
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    statuses = {status for status, _ in seen}
    assert statuses == {200}, [s for s in seen if s[0] != 200][:5]
    assert {model for _, model in seen} == {"live/1", "live/2"}
    assert client.predict(deployment_id, [ROW])["model"] == "live/2"
    history = client.get_registered_model("live")["history"]
    assert [e["to_version"] for e in history] == [2, 1, 2, 1, 2, 1]


def test_protocols_over_http(server: dict[str, Any]) -> None:
    url, client = server["url"], server["client"]
    (first, _), _ = server["models"]
    deployment_id = client.deploy(first, name="risk")
    native = client.predict(deployment_id, [ROW, {"x": -2.0, "color": "blue"}])
    with httpx.Client(base_url=url, timeout=30) as http:
        mlflow = http.post(
            "/serve/risk/invocations",
            json={
                "dataframe_split": {
                    "columns": ["x", "color"],
                    "data": [[0.4, "red"], [-2.0, "blue"]],
                }
            },
        )
        assert mlflow.json() == {"predictions": native["predictions"]}
        inputs = [
            {"name": "x", "datatype": "FP64", "shape": [2], "data": [0.4, -2.0]},
            {"name": "color", "datatype": "BYTES", "shape": [2], "data": ["red", "blue"]},
        ]
        oip = http.post("/v2/models/risk/infer", json={"inputs": inputs}).json()
        assert oip["outputs"][0]["data"] == native["predictions"]
        assert http.get("/v2/health/live").json() == {"live": True}
