"""The leaderboard answer assembled from stored params text: same JSON as the models say."""

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import upload
from sqlalchemy import update

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.server.experiments.leaderboard import COLUMNS, items_json, leaderboard_json
from tunelab.server.schemas import Leaderboard
from tunelab.tracking import MetadataStore
from tunelab.tracking._orm import TrialRow


def _row(**values: Any) -> tuple[Any, ...]:
    base = {
        "number": 0,
        "family": "lightgbm",
        "params": '{"a": 1}',
        "status": "ok",
        "score": 0.5,
        "score_std": None,
        "fit_time": 1.0,
        "predict_time": 0.25,
        "source": "search",
        "reason": "",
        "host": "h1",
        "node_id": "local",
    }
    return tuple({**base, **values}[c] for c in COLUMNS)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, {}),
        ({"params": None}, {"params": {}}),
        ({"params": "null"}, {"params": {}}),
        ({"params": '{"lr": NaN, "x": Infinity}'}, {"params": {"lr": None, "x": None}}),
        ({"score": float("nan"), "fit_time": float("inf")}, {"score": None, "fit_time": None}),
        ({"score": -float("inf")}, {"score": None}),
        ({"score": 0.1 + 0.2}, {"score": 0.30000000000000004}),
        ({"number": 7, "score": 3}, {"number": 7, "score": 3}),
        ({"reason": None}, {"reason": ""}),
        ({"reason": 'boom: "é" \\ ☹\n', "family": "x\ty"}, {"reason": 'boom: "é" \\ ☹\n'}),
    ],
)
def test_items_json_encodes_each_column_like_the_response_model(
    values: dict[str, Any], expected: dict[str, Any]
) -> None:
    (item,) = json.loads(items_json([_row(**values)]))
    want = dict(zip(COLUMNS, _row(), strict=True))
    want["params"] = {"a": 1}
    want.update({k: v for k, v in values.items() if k not in ("params", "score", "reason")})
    want.update(expected)
    assert item == want
    assert list(item) == list(COLUMNS)


def test_leaderboard_json_is_valid_strict_json_with_the_header_first() -> None:
    rows = [_row(number=n, score=n / 10) for n in range(3)]
    header = {"experiment_id": "e", "metric": None, "greater_is_better": True, "total": 3}
    text = leaderboard_json(header, rows).decode("utf-8")
    answer = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert list(answer) == [*header, "items"]
    assert [i["number"] for i in answer["items"]] == [0, 1, 2]
    assert json.loads(leaderboard_json({}, []).decode()) == {"items": []}
    Leaderboard.model_validate(answer)


def _experiment(client: TestClient, store: MetadataStore) -> str:
    body = {"dataset_id": upload(client), "target": "label", "task": "regression"}
    experiment_id = str(client.post("/api/v1/experiments", json=body).json()["id"])
    store.update_experiment(experiment_id, metric="rmse")
    trials = [
        (3.0, {"alpha": 0.1 + 0.2, "solver": "é"}, 1.0),
        (1.0, {}, float("inf")),
        (None, {"alpha": 1e-300}, 0.5),
        (2.0, {"nested": {"k": [1, None, "☃"]}}, 2.0),
    ]
    for number, (score, params, fit_time) in enumerate(trials):
        status = TrialStatus.OK if score is not None else TrialStatus.FAILED
        record = TrialRecord(
            number=number,
            family="ridge",
            params=params,
            status=status,
            score=score,
            fit_time=fit_time,
            reason="" if score is not None else 'bad "input"',
        )
        store.record_trial(experiment_id, record)
    return experiment_id


def test_endpoint_answers_the_decoded_rows(client: TestClient, store: MetadataStore) -> None:
    assert store.leaderboard_columns == COLUMNS  # the raw rows come in the order we encode
    experiment_id = _experiment(client, store)
    response = client.get(f"/api/v1/experiments/{experiment_id}/leaderboard")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    board = response.json()
    assert (board["metric"], board["greater_is_better"], board["total"]) == ("rmse", False, 4)
    expected = store.leaderboard_rows(experiment_id, greater_is_better=False)
    for row in expected:
        for key in ("score", "score_std", "fit_time", "predict_time"):
            if row[key] is not None and not math.isfinite(row[key]):
                row[key] = None
    assert board["items"] == expected
    assert [t["number"] for t in board["items"]] == [1, 3, 0, 2]
    assert board["items"][0]["fit_time"] is None  # infinity is not JSON


def test_endpoint_pages_and_tolerates_odd_stored_params(
    client: TestClient, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, store)
    with store.engine.begin() as conn:
        conn.execute(update(TrialRow).where(TrialRow.number == 3).values(params=None))
    url = f"/api/v1/experiments/{experiment_id}/leaderboard"
    page = client.get(url, params={"limit": 2, "offset": 1}).json()
    first_params = {"alpha": 0.1 + 0.2, "solver": "é"}
    assert [(t["number"], t["params"]) for t in page["items"]] == [(3, {}), (0, first_params)]
    assert page["total"] == 4
    assert client.get("/api/v1/experiments/nope/leaderboard").status_code == 404
