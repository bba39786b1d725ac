"""``leaderboard_raw``: the leaderboard rows with params as the stored JSON text."""

import json

import pytest
from sqlalchemy import update

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.entities.platform import NotFoundError
from tunelab.tracking import MetadataStore
from tunelab.tracking._orm import TrialRow

PARAMS = [
    {"learning_rate": 0.1 + 0.2, "num_leaves": 31},
    {},
    {"nested": {"a": [1, 2.5, None]}, "name": 'é "quoted" \\ ☃'},
    {"big": 12345678901234567890, "flag": True},
]


def _experiment_with_trials(store: MetadataStore) -> str:
    dataset = store.add_dataset(
        name="d.csv", source="upload", uri="datasets/d.csv", size_bytes=1, sha256="0" * 64
    )
    experiment = store.create_experiment(dataset_id=dataset.id, target="y")
    scores = [0.7, None, 0.9, 0.8]
    for number, (params, score) in enumerate(zip(PARAMS, scores, strict=True)):
        status = TrialStatus.OK if score is not None else TrialStatus.FAILED
        record = TrialRecord(
            number=number,
            family="lightgbm",
            params=params,
            status=status,
            score=score,
            fit_time=float("inf") if number == 3 else 1.5,
            reason="" if score is not None else "fit failed: ☹",
        )
        store.record_trial(experiment.id, record)
    return experiment.id


def test_raw_rows_decode_to_the_dict_rows_in_the_same_order(store: MetadataStore) -> None:
    experiment_id = _experiment_with_trials(store)
    columns = store.leaderboard_columns
    for greater in (True, False):
        for limit, offset in ((None, 0), (2, 1), (10, 3)):
            page = {"greater_is_better": greater, "limit": limit, "offset": offset}
            dicts = store.leaderboard_rows(experiment_id, **page)  # type: ignore[arg-type]
            raw = store.leaderboard_raw(experiment_id, **page)  # type: ignore[arg-type]
            assert len(raw) == len(dicts)
            for row, expected in zip(raw, dicts, strict=True):
                decoded = dict(zip(columns, row, strict=True))
                assert isinstance(decoded["params"], str)
                decoded["params"] = json.loads(decoded["params"])
                assert decoded == expected
    numbers = [row[0] for row in store.leaderboard_raw(experiment_id)]
    assert numbers == [2, 3, 0, 1]  # best first, the unscored trial last


def test_raw_params_is_the_stored_text_or_none(store: MetadataStore) -> None:
    experiment_id = _experiment_with_trials(store)
    with store.engine.begin() as conn:
        conn.execute(update(TrialRow).where(TrialRow.number == 1).values(params=None))
    rows = {row[0]: row for row in store.leaderboard_raw(experiment_id)}
    params_at = store.leaderboard_columns.index("params")
    assert json.loads(rows[2][params_at]) == PARAMS[2]
    assert rows[1][params_at] in (None, "null")  # SQL NULL or JSON null, by backend
    assert store.leaderboard_rows(experiment_id, limit=None)[-1]["params"] == {}


def test_raw_leaderboard_of_an_unknown_experiment_raises_not_found(
    store: MetadataStore,
) -> None:
    with pytest.raises(NotFoundError, match="experiment 'missing'"):
        store.leaderboard_raw("missing")
