"""``tunelab.Client`` registry and traffic methods and the ``tunelab registry`` CLI against a
real uvicorn server in a thread (with an API token), real bundles registered in its store."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from deployment_bundles import fit_model, frame, register, save
from typer.testing import CliRunner

from tunelab.cli._app import build_app
from tunelab.client import Client
from tunelab.entities.platform import ConflictError, NotFoundError
from tunelab.server import ServerSettings, create_app

ROW = {"x": 0.3, "color": "red", "size": 4.0}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    df = frame()
    root = tmp_path_factory.mktemp("bundles")
    return [
        save(fit_model(kind, "binary", df), "binary", df, root / kind)
        for kind in ("lightgbm", "linear")
    ]


@pytest.fixture
def served(tmp_path: Path, bundles: list[Path]) -> Iterator[dict[str, Any]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    app = create_app(ServerSettings(home=tmp_path, api_token="tok"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    state = app.state
    model_ids = [register(state.store, state.artifacts, b, b.name) for b in bundles]
    url = f"http://127.0.0.1:{port}"
    with Client(url, token="tok") as client:
        yield {"url": url, "client": client, "models": model_ids, "app": app}
    server.should_exit = True
    thread.join(timeout=30)


def test_client_registry_and_traffic(served: dict[str, Any]) -> None:
    client: Client = served["client"]
    first, second = served["models"]
    client.create_registered_model("churn", description="leavers")
    assert client.add_model_version("churn", first, tags={"team": "risk"}) == 1
    assert client.add_model_version("churn", second) == 2
    assert client.set_alias("churn", "champion", 1)["to_version"] == 1
    client.set_alias("churn", "challenger", 2)
    with pytest.raises(ConflictError, match="already exists"):
        client.create_registered_model("churn")
    with pytest.raises(NotFoundError, match="no version 7"):
        client.set_alias("churn", "champion", 7)
    deployment_id = client.deploy(model="churn@champion")
    assert client.predict(deployment_id, [ROW])["model"] == "churn/1"
    traffic = client.set_traffic(
        deployment_id, [("churn@champion", 50), ("churn@challenger", 50)], sticky=True
    )
    assert [r["serving"] for r in traffic["routes"]] == ["churn/1", "churn/2"]
    assert client.traffic(deployment_id)["sticky"] is True
    answers = {client.predict(deployment_id, [ROW], key=f"k{i}")["model"] for i in range(40)}
    assert answers == {"churn/1", "churn/2"}
    same = {client.predict(deployment_id, [ROW], key="k7")["model"] for _ in range(5)}
    assert len(same) == 1
    served["app"].state.predictors.log.flush()  # the log writes in the background
    compare = client.compare_traffic(deployment_id)
    assert sum(v["requests"] for v in compare["versions"]) == 46
    with pytest.raises(ConflictError, match="used by deployment"):
        client.delete_alias("churn", "challenger")
    detail = client.get_registered_model("churn")
    assert detail["versions"][-1]["tags"] == {"team": "risk"}
    assert [m["name"] for m in client.list_registered_models()] == ["churn"]


def test_protocols_need_the_token_but_probes_do_not(served: dict[str, Any]) -> None:
    client: Client = served["client"]
    client.deploy(served["models"][0], name="risk")
    url = served["url"]
    assert httpx.get(f"{url}/v2/health/live").status_code == 200
    assert httpx.get(f"{url}/serve/risk/ping").status_code == 200
    assert httpx.get(f"{url}/v2/models/risk").status_code == 401
    body = {"dataframe_records": [ROW]}
    assert httpx.post(f"{url}/serve/risk/invocations", json=body).status_code == 401
    authorized = httpx.post(
        f"{url}/serve/risk/invocations", json=body, headers={"Authorization": "Bearer tok"}
    )
    assert authorized.status_code == 200
    assert len(authorized.json()["predictions"]) == 1


def _cli(url: str, *args: str) -> Any:
    return CliRunner().invoke(build_app(), ["registry", *args, "--url", url, "--token", "tok"])


def test_cli_commands(served: dict[str, Any]) -> None:
    url = served["url"]
    first, second = served["models"]
    assert _cli(url, "list").output.strip() == "no registered models"
    assert (
        _cli(url, "create", "churn", "--description", "leavers").output.strip() == "created churn"
    )
    assert _cli(url, "add-version", "churn", first).output.strip() == "churn/1"
    assert _cli(url, "add-version", "churn", second).output.strip() == "churn/2"
    assert (
        _cli(url, "set-alias", "churn", "champion", "2").output.strip() == "churn@champion: - -> 2"
    )
    assert (
        _cli(url, "set-alias", "churn", "champion", "1").output.strip() == "churn@champion: 2 -> 1"
    )
    assert _cli(url, "list").output.strip() == "churn  latest=2  @champion=1"
    text = _cli(url, "show", "churn").output
    assert "churn: leavers" in text
    assert f"  1  model={first}  experiment=-  @champion" in text
    assert "@champion: 2 -> 1  by local" in text
    shown = json.loads(_cli(url, "show", "churn", "--json").output)
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    missing = _cli(url, "add-version", "churn", "nope")
    assert missing.exit_code == 1
    assert "model 'nope'" in missing.output
    assert (
        _cli(url, "delete-alias", "churn", "champion").output.strip() == "deleted churn@champion"
    )
    unauthorized = CliRunner().invoke(build_app(), ["registry", "list", "--url", url])
    assert unauthorized.exit_code == 1
    assert "401" in unauthorized.output
    offline = CliRunner().invoke(build_app(), ["registry", "list", "--url", "http://127.0.0.1:9"])
    assert offline.exit_code == 1
    assert "cannot reach" in offline.output
