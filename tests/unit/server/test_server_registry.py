"""Registry REST, deployments by reference and their traffic (A/B, sticky, shadow, compare),
with real bundles served by the in-process app."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from deployment_bundles import fit_model, frame, register, save
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore

ROW = {"x": 0.3, "color": "red", "size": 4.0}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    df = frame()
    root = tmp_path_factory.mktemp("bundles")
    made = {}
    for key, kind, task in (
        ("lgbm", "lightgbm", "binary"),
        ("linear", "linear", "binary"),
        ("reg", "linear", "regression"),
    ):
        made[key] = save(fit_model(kind, task, df), task, df, root / key)
    return made


@pytest.fixture
def churn(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> dict[str, str]:
    """Registered model ``churn``: v1 = LightGBM, v2 = logistic regression, v3 = a regressor;
    ``champion`` -> 1, ``challenger`` -> 2. Returns the model ids by version label."""
    ids = {
        label: register(store, artifacts, bundles[key], key)
        for label, key in (("churn/1", "lgbm"), ("churn/2", "linear"), ("churn/3", "reg"))
    }
    assert client.post("/api/v1/registry", json={"name": "churn"}).status_code == 201
    for label, model_id in ids.items():
        answer = client.post("/api/v1/registry/churn/versions", json={"model_id": model_id})
        assert answer.status_code == 201, answer.text
        assert f"churn/{answer.json()['version']}" == label
    for alias, version in (("champion", 1), ("challenger", 2)):
        put = client.put(f"/api/v1/registry/churn/aliases/{alias}", json={"version": version})
        assert put.status_code == 200, put.text
    return ids


def _deploy(client: TestClient, reference: str) -> str:
    answer = client.post("/api/v1/deployments", json={"model": reference})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _predict(client: TestClient, deployment_id: str, key: str | None = None) -> dict:
    headers = {"X-Request-Key": key} if key else {}
    answer = client.post(
        f"/api/v1/deployments/{deployment_id}/predict", json={"records": [ROW]}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_registry_rest_versions_aliases_history(client: TestClient, churn: dict[str, str]) -> None:
    listing = client.get("/api/v1/registry").json()["items"]
    assert [(m["name"], m["latest_version"], m["aliases"]) for m in listing] == [
        ("churn", 3, {"challenger": 2, "champion": 1})
    ]
    moved = client.put("/api/v1/registry/churn/aliases/champion", json={"version": 2}).json()
    assert (moved["from_version"], moved["to_version"], moved["actor"]) == (1, 2, "local")
    assert client.delete("/api/v1/registry/churn/aliases/challenger").status_code == 204
    detail = client.get("/api/v1/registry/churn").json()
    assert [(v["version"], v["aliases"]) for v in detail["versions"]] == [
        (3, []),
        (2, ["champion"]),
        (1, []),
    ]
    assert detail["versions"][2]["model_id"] == churn["churn/1"]
    assert detail["versions"][2]["metrics"] == {"valid": {"r2": 0.9}}
    assert [(e["alias"], e["from_version"], e["to_version"]) for e in detail["history"]] == [
        ("challenger", 2, None),
        ("champion", 1, 2),
        ("challenger", None, 2),
        ("champion", None, 1),
    ]


REGISTRY_ERRORS = [
    ("post", "/api/v1/registry", {"name": "churn"}, 409, "already exists"),
    ("post", "/api/v1/registry", {"name": "bad name"}, 422, "'bad name' is not valid"),
    ("get", "/api/v1/registry/nope", None, 404, "registered model 'nope'"),
    ("post", "/api/v1/registry/churn/versions", {"model_id": "zz"}, 404, "model 'zz'"),
    ("post", "/api/v1/registry/nope/versions", {"model_id": "zz"}, 404, "'nope'"),
    ("put", "/api/v1/registry/churn/aliases/prod", {"version": 9}, 404, "no version 9"),
    ("put", "/api/v1/registry/churn/aliases/Prod", {"version": 1}, 422, "alias 'Prod'"),
    ("put", "/api/v1/registry/churn/aliases/a.b", {"version": 1}, 422, "alias 'a.b'"),
    ("delete", "/api/v1/registry/churn/aliases/gone", None, 404, "no alias 'gone'"),
]


def test_registry_errors_are_clear(client: TestClient, churn: dict[str, str]) -> None:
    for method, path, body, status, needle in REGISTRY_ERRORS:
        kwargs = {"json": body} if body is not None else {}
        answer = client.request(method.upper(), path, **kwargs)
        assert answer.status_code == status, (path, answer.text)
        assert needle in answer.text, (path, answer.text)


def test_deploying_an_alias_follows_it_when_it_moves(
    client: TestClient, store: MetadataStore, churn: dict[str, str]
) -> None:
    deployment_id = _deploy(client, "churn@champion")
    traffic = client.app.state.traffic  # type: ignore[attr-defined]
    assert traffic.loaded(deployment_id).labels == ["churn/1"]  # loaded right after deploying
    assert _predict(client, deployment_id)["model"] == "churn/1"
    client.put("/api/v1/registry/churn/aliases/champion", json={"version": 2})
    assert _predict(client, deployment_id)["model"] == "churn/2"
    details = client.get(f"/api/v1/deployments/{deployment_id}").json()
    assert details["model_id"] == churn["churn/2"]  # details and bundle follow the alias
    assert client.get(f"/api/v1/deployments/{deployment_id}/usage").status_code == 200
    client.put("/api/v1/registry/churn/aliases/champion", json={"version": 1})  # roll back
    assert _predict(client, deployment_id)["model"] == "churn/1"
    # a version of another task cannot take over the alias a deployment follows
    refused = client.put("/api/v1/registry/churn/aliases/champion", json={"version": 3})
    assert refused.status_code == 409
    assert "regression" in refused.text
    assert _predict(client, deployment_id)["model"] == "churn/1"
    in_use = client.delete("/api/v1/registry/churn/aliases/champion")
    assert in_use.status_code == 409
    assert deployment_id in in_use.text
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    logged = store.list_predictions(deployment_id)
    assert [p.model_ref for p in logged] == ["churn/1", "churn/1", "churn/2", "churn/1"]
    assert {p.model_id for p in logged} == {churn["churn/1"], churn["churn/2"]}
    history = client.get(f"/api/v1/deployments/{deployment_id}/predictions").json()
    assert history[0]["model_ref"] == "churn/1"


def test_a_model_id_deployment_names_its_registered_version(
    client: TestClient, churn: dict[str, str]
) -> None:
    answer = client.post("/api/v1/deployments", json={"model_id": churn["churn/2"]})
    assert _predict(client, answer.json()["id"])["model"] == "churn/2"
    both = client.post("/api/v1/deployments", json={"model_id": "a", "model": "churn/1"})
    assert both.status_code == 422
    assert "exactly one" in both.text
    unknown = client.post("/api/v1/deployments", json={"model": "churn@nope"})
    assert unknown.status_code == 404
    assert "no alias 'nope'" in unknown.text


def test_sticky_split_keeps_proportions_and_keys(
    client: TestClient, churn: dict[str, str]
) -> None:
    deployment_id = _deploy(client, "churn@champion")
    body = {
        "routes": [
            {"model": "churn@champion", "weight": 90},
            {"model": "churn@challenger", "weight": 10},
        ],
        "sticky": True,
    }
    put = client.put(f"/api/v1/deployments/{deployment_id}/traffic", json=body)
    assert put.status_code == 200, put.text
    assert [r["serving"] for r in put.json()["routes"]] == ["churn/1", "churn/2"]
    served = [_predict(client, deployment_id, key=f"user-{i}")["model"] for i in range(2000)]
    share = served.count("churn/2") / len(served)
    assert 0.05 <= share <= 0.15, share
    for i in range(0, 2000, 97):  # the same key always reaches the same version
        assert _predict(client, deployment_id, key=f"user-{i}")["model"] == served[i]


def test_unkeyed_split_draws_by_weight(client: TestClient, churn: dict[str, str]) -> None:
    traffic = client.app.state.traffic  # type: ignore[attr-defined]
    traffic.seed = 11  # a seeded router: the same draws every run
    deployment_id = _deploy(client, "churn@champion")
    body = {"routes": [{"model": "churn/1", "weight": 1}, {"model": "churn/2", "weight": 1}]}
    assert client.put(f"/api/v1/deployments/{deployment_id}/traffic", json=body).status_code == 200
    plan = traffic.plan(deployment_id)
    served = [plan.choose().label for _ in range(2000)]
    assert 0.45 <= served.count("churn/1") / 2000 <= 0.55
    assert {_predict(client, deployment_id)["model"] for _ in range(40)} == {"churn/1", "churn/2"}
    zero = {"routes": [{"model": "churn/1", "weight": 0}, {"model": "churn/2", "weight": 1}]}
    client.put(f"/api/v1/deployments/{deployment_id}/traffic", json=zero)
    assert {_predict(client, deployment_id)["model"] for _ in range(30)} == {"churn/2"}


def test_shadow_is_logged_never_returned_and_compared(
    client: TestClient, store: MetadataStore, churn: dict[str, str]
) -> None:
    deployment_id = _deploy(client, "churn@champion")
    body = {"routes": [{"model": "churn@champion", "weight": 1}], "shadow": ["churn/2"]}
    assert client.put(f"/api/v1/deployments/{deployment_id}/traffic", json=body).status_code == 200
    answers = [_predict(client, deployment_id) for _ in range(30)]
    assert {a["model"] for a in answers} == {"churn/1"}
    traffic = client.app.state.traffic  # type: ignore[attr-defined]
    traffic.shadow.flush()
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    shadows = store.list_predictions(deployment_id, shadow=True, limit=100)
    assert len(shadows) == 30
    assert {p.model_ref for p in shadows} == {"churn/2"}
    assert {p.model_ref for p in store.list_predictions(deployment_id, limit=100)} == {"churn/1"}
    compare = client.get(f"/api/v1/deployments/{deployment_id}/traffic/compare").json()
    by_model = {v["model"]: v for v in compare["versions"]}
    assert compare["first_route"] == "churn/1"
    assert (by_model["churn/1"]["role"], by_model["churn/1"]["requests"]) == ("route", 30)
    assert (by_model["churn/2"]["role"], by_model["churn/2"]["requests"]) == ("shadow", 30)
    assert by_model["churn/1"]["agreement_with_first"] == 1.0
    # the same row every time: the shadow agrees fully or not at all with the champion
    first_label = answers[0]["predictions"][0]
    shadow_label = shadows[0].outputs["predictions"][0]
    assert by_model["churn/2"]["agreement_with_first"] == float(first_label == shadow_label)
    assert sum(by_model["churn/2"]["distribution"].values()) == pytest.approx(1.0)
    assert by_model["churn/1"]["latency_p95_ms"] >= by_model["churn/1"]["latency_p50_ms"]


def _shadowed(client: TestClient) -> tuple[str, object]:
    deployment_id = _deploy(client, "churn@champion")
    body = {"routes": [{"model": "churn@champion", "weight": 1}], "shadow": ["churn/2"]}
    assert client.put(f"/api/v1/deployments/{deployment_id}/traffic", json=body).status_code == 200
    return deployment_id, client.app.state.traffic  # type: ignore[attr-defined]


def test_a_shadow_that_falls_behind_drops_copies_never_requests(
    client: TestClient, store: MetadataStore, churn: dict[str, str]
) -> None:
    deployment_id, traffic = _shadowed(client)
    shadow = traffic.shadow  # type: ignore[attr-defined]
    _predict(client, deployment_id)
    shadow.flush()  # the shadow process runs and has loaded its bundle
    wide = [dict(ROW, x=i / 1000) for i in range(2000)]  # ~74 kB of JSON per copy
    os.kill(shadow._process.pid, signal.SIGSTOP)  # it falls behind: nothing is read
    try:
        for _ in range(30):  # ~2.2 MB in all, twice what the pipe holds
            answer = client.post(
                f"/api/v1/deployments/{deployment_id}/predict", json={"records": wide}
            )
            assert answer.status_code == 200
            assert len(answer.json()["predictions"]) == 2000
        assert 10 <= shadow.dropped < 30  # the 1 MiB pipe took some, then copies were dropped
    finally:
        os.kill(shadow._process.pid, signal.SIGCONT)
    shadow.flush()
    stored = store.list_predictions(deployment_id, shadow=True, limit=100)
    assert len(stored) == 31 - shadow.dropped  # every copy not dropped was stored
    assert sorted(len(p.outputs["predictions"]) for p in stored)[-1] == 2000
    assert shadow.failed == 0


def test_a_killed_shadow_process_is_replaced_and_its_copies_counted_failed(
    client: TestClient, store: MetadataStore, churn: dict[str, str]
) -> None:
    deployment_id, traffic = _shadowed(client)
    shadow = traffic.shadow  # type: ignore[attr-defined]
    _predict(client, deployment_id)
    shadow.flush()
    first = shadow._process
    first.kill()
    first.join(timeout=10)
    for _ in range(3):
        assert _predict(client, deployment_id)["model"] == "churn/1"
    shadow.flush()
    assert shadow._process is not first
    assert shadow._process.is_alive()
    assert len(store.list_predictions(deployment_id, shadow=True, limit=100)) == 4
    assert (shadow.dropped, shadow.failed) == (0, 0)


TRAFFIC_ERRORS = [
        ({"routes": [{"model": "churn/1", "weight": -1}]}, 422, "greater than or equal to 0"),
        ({"routes": [{"model": "churn/1", "weight": 0}]}, 422, "sum to more than 0"),
        ({"routes": []}, 422, "at least 1"),
        ({"routes": [{"model": "churn/9", "weight": 1}]}, 404, "no version 9"),
        ({"routes": [{"model": "churn", "weight": 1}]}, 422, "NAME@ALIAS or NAME/VERSION"),
        ({"routes": [{"model": "churn/1", "weight": 1}, {"model": "churn/3", "weight": 1}]},
         422, "regression"),
        ({"routes": [{"model": "churn/1", "weight": 1}], "shadow": ["churn/3"]}, 422, "churn/3"),
]  # fmt: skip


def test_traffic_is_validated(client: TestClient, churn: dict[str, str]) -> None:
    deployment_id = _deploy(client, "churn@champion")
    for body, status, needle in TRAFFIC_ERRORS:
        answer = client.put(f"/api/v1/deployments/{deployment_id}/traffic", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert needle in answer.text, (body, answer.text)
        assert _predict(client, deployment_id)["model"] == "churn/1"  # old traffic serves


def test_deleted_deployments_stop_answering(client: TestClient, churn: dict[str, str]) -> None:
    deployment_id = _deploy(client, "churn/2")
    assert _predict(client, deployment_id)["model"] == "churn/2"
    assert client.delete(f"/api/v1/deployments/{deployment_id}").status_code == 204
    gone = client.post(f"/api/v1/deployments/{deployment_id}/predict", json={"records": [ROW]})
    assert gone.status_code == 404


def test_alias_moves_fail_no_concurrent_request(client: TestClient, churn: dict[str, str]) -> None:
    deployment_id = _deploy(client, "churn@champion")
    stop = threading.Event()
    seen: list[tuple[int, str | None]] = []

    def hammer() -> None:
        while not stop.is_set():
            answer = client.post(
                f"/api/v1/deployments/{deployment_id}/predict", json={"records": [ROW]}
            )
            model = answer.json().get("model") if answer.status_code == 200 else None
            seen.append((answer.status_code, model))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for version in (2, 1, 2):
            mark = len(seen) + 20
            while len(seen) < mark:  # let requests run on the current version
                time.sleep(0.01)
            put = client.put("/api/v1/registry/churn/aliases/champion", json={"version": version})
            assert put.status_code == 200
        target = len(seen) + 40
        while len(seen) < target:
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert {status for status, _ in seen} == {200}
    assert {model for _, model in seen} == {"churn/1", "churn/2"}
    assert _predict(client, deployment_id)["model"] == "churn/2"


def test_alias_moves_by_another_process_are_followed(
    client: TestClient, store: MetadataStore, churn: dict[str, str], tmp_path: Path
) -> None:
    traffic = client.app.state.traffic  # type: ignore[attr-defined]
    traffic.watch_interval = 0.05
    deployment_id = _deploy(client, "churn@champion")
    assert _predict(client, deployment_id)["model"] == "churn/1"
    with MetadataStore(store.url) as other:  # another process's store on the same database
        other.set_alias("churn", "champion", 2)
    for _ in range(400):  # the watcher polls; wait for the switch, then check it sticks
        if _predict(client, deployment_id)["model"] == "churn/2":
            break
        time.sleep(0.05)
    assert [_predict(client, deployment_id)["model"] for _ in range(5)] == ["churn/2"] * 5
    with MetadataStore(store.url) as other:  # a version of another task is not swapped in
        other.set_alias("churn", "champion", 3)
    marker = store.last_alias_event_id()
    for _ in range(400):  # until the watcher has acted on that move
        if traffic.followed_event_id >= marker:
            break
        time.sleep(0.05)
    assert traffic.followed_event_id >= marker
    assert _predict(client, deployment_id)["model"] == "churn/2"
