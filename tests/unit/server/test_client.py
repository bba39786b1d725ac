"""tunelab.Client against a real uvicorn server running in a thread."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import uvicorn

from tunelab.client import Client, ValidationApiError
from tunelab.entities.platform import ArtifactTooLargeError, ConflictError, NotFoundError
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Client, uvicorn.Server]]:
    port = _free_port()
    settings = ServerSettings(home=tmp_path, max_upload_bytes=20_000, api_token="tok")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    with Client(f"http://127.0.0.1:{port}", token="tok") as client:
        yield client, server
    server.should_exit = True
    thread.join(timeout=30)


def _worker(server: uvicorn.Server) -> Worker:
    app = server.config.app
    return Worker(app.state.store, app.state.artifacts, default_handlers())


def test_client_round_trip(served: tuple[Client, uvicorn.Server], tmp_path: Path) -> None:
    client, server = served
    assert client.health()["status"] == "ok"
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    dataset_id = client.upload_dataset(csv)
    (job,) = client._call("GET", "/jobs")["items"]
    _worker(server).run_once()
    assert client.wait_job(job["id"], timeout=30)["status"] == "succeeded"
    assert client.get_dataset(dataset_id)["n_rows"] == 30
    assert [c["name"] for c in client.dataset_profile(dataset_id)["columns"]] == ["a", "b", "y"]
    events = list(client.events(job["id"]))
    assert events[-1]["kind"] == "succeeded"
    assert [e["kind"] for e in client.events(job["id"], kinds=["claimed"])] == ["claimed"]

    experiment_id = client.create_experiment(dataset_id, "y", metric="f1", max_trials=3)
    experiment = client.get_experiment(experiment_id)
    default_test = {"test_ratio": 0.2}  # a test part held back by default
    assert (experiment["settings"], experiment["metric"]) == (
        {"max_trials": 3, **default_test},
        "f1",
    )
    updated = client.update_experiment(experiment_id, version=1, settings={"seed": 7})
    assert updated["settings"] == {"max_trials": 3, "seed": 7, **default_test}
    with pytest.raises(ConflictError, match="version 2, not 1"):
        client.update_experiment(experiment_id, version=1, name="late")
    client.start_experiment(experiment_id)
    with pytest.raises(ConflictError):
        client.start_experiment(experiment_id)
    assert client.stop_experiment(experiment_id)["status"] == "stopped"
    assert [e["id"] for e in client.list_experiments(status="stopped")] == [experiment_id]
    (run,) = client.runs(experiment_id)  # the start opened run 1; the stop closed it
    assert (run["number"], run["status"], run["n_trials"]) == (1, "stopped", 0)
    assert client.leaderboard(experiment_id, run=1) == []


def test_client_errors(served: tuple[Client, uvicorn.Server], tmp_path: Path) -> None:
    client, _ = served
    with pytest.raises(NotFoundError, match="experiment 'nope'"):
        client.get_experiment("nope")
    big = tmp_path / "big.csv"
    big.write_text("a\n" + "1\n" * 20_000)
    with pytest.raises(ArtifactTooLargeError):
        client.upload_dataset(big)
    with pytest.raises(ValidationApiError) as info:
        client.create_experiment("x", "y", task="ranking")
    assert info.value.detail[0]["loc"] == ["body", "task"]
    with pytest.raises(NotFoundError):
        list(client.events("nope"))
    anonymous = Client(client.url)
    with pytest.raises(Exception, match="401"):
        anonymous.list_datasets()
    assert anonymous.health()["status"] == "ok"


def test_client_predicts_a_dataframe(
    served: tuple[Client, uvicorn.Server], tmp_path: Path
) -> None:
    from bundle_factory import save_test_bundle

    client, server = served
    app = server.config.app
    model_id = save_test_bundle(app.state.store, app.state.artifacts, tmp_path)
    deployment_id = client.deploy(model_id)
    frame = pd.DataFrame({"x": [1.5, -1.5], "color": ["red", "blue"]})
    out = client.predict(deployment_id, frame)
    assert out["predictions"] == ["yes", "no"]
    assert client.predict(deployment_id, {"x": 2.0, "color": "red"})["predictions"] == ["yes"]
    with pytest.raises(ValidationApiError) as info:
        client.predict(deployment_id, [{"x": 1.0}])
    assert info.value.detail[0]["loc"] == ["body", "records", 0, "color"]
    with pytest.raises(ConflictError, match="deployed"):
        client.delete_model(model_id)
    client.delete_model(model_id, cascade=True)
