"""The fast plan of a real weighted ensemble maps values it has not seen (unseen categories,
numbers sent as strings, a number for a category) column by column, equal to the bundle."""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from deployment_bundles import fit_model, frame, save

from tunelab.bundles import load_bundle
from tunelab.ensembling import FoldBag, WeightedEnsemble
from tunelab.server.deployments.fastpath import build_fast_plan
from tunelab.server.predictor import Predictor

HELD_OUT = [
    {"x": 0.3, "color": "blue", "size": 4.0},
    {"x": -1.2, "color": "red", "size": None},
    {"x": 2.0, "color": "green", "size": 9.0},
]
UNSEEN = [
    {"x": 0.3, "color": "purple", "size": 4.0},  # an unseen category
    {"x": None, "color": "teal", "size": None},  # unseen category and missing numbers
    {"x": "1.5", "color": "red", "size": 3},  # a number sent as a string
    {"x": -0.4, "color": 7, "size": "2"},  # a number for a category, a string for a number
    {"x": 0.8, "color": None, "size": True},  # a missing category, a boolean for a number
]


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    df = frame()
    members = [
        FoldBag([fit_model("lightgbm", "binary", df)], n_classes=2).fit(),
        FoldBag([fit_model("linear", "binary", df)], n_classes=2).fit(),
    ]
    model = WeightedEnsemble(members, [0.6, 0.4], n_classes=2).fit()
    folder = save(model, "binary", df, Path(tmp_path_factory.mktemp("ens")) / "bundle")
    bundle = load_bundle(folder)
    found = Predictor("d", "m", bundle, frozenset(c.name for c in bundle.schema))
    found.plan = build_fast_plan(bundle, found.generic_output)
    return found


def _bundle_proba(predictor: Predictor, records: list[dict[str, Any]]) -> np.ndarray:
    frame_ = pd.DataFrame.from_records(records)
    return np.asarray(predictor.bundle.predict_proba(frame_), dtype=float)


def test_the_ensemble_has_a_fast_plan_equal_to_the_bundle(predictor: Predictor) -> None:
    assert predictor.plan is not None
    got = predictor.plan.predict(HELD_OUT)
    assert got is not None
    np.testing.assert_allclose(got, _bundle_proba(predictor, HELD_OUT), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("index", range(len(UNSEEN)))
def test_unseen_values_stay_on_the_fast_path_with_the_bundles_answer(
    predictor: Predictor, index: int
) -> None:
    record = [UNSEEN[index]]
    got = predictor.plan.predict(record)
    assert got is not None, f"record {record} left the fast path"
    np.testing.assert_allclose(got, _bundle_proba(predictor, record), rtol=1e-9, atol=1e-12)


def test_a_mixed_request_is_answered_whole_and_remembered(predictor: Predictor) -> None:
    records = HELD_OUT + UNSEEN
    first = predictor.plan.predict(records, learn=len(UNSEEN) * 3)
    assert first is not None
    expected = _bundle_proba(predictor, records)
    np.testing.assert_allclose(first, expected, rtol=1e-9, atol=1e-12)
    again = predictor.plan.predict(records)  # now from the remembered outputs
    assert again is not None
    np.testing.assert_array_equal(again, first)
    answer = predictor.predict(records)
    assert answer["predictions"] == [["no", "yes"][i] for i in expected.argmax(axis=1)]


def test_a_value_the_schema_refuses_leaves_the_fast_path_and_is_reported(
    predictor: Predictor,
) -> None:
    from tunelab.entities import SchemaError

    record = [{"x": "not a number", "color": "red", "size": 3.0}]
    assert predictor.plan.predict(record) is None
    with pytest.raises(SchemaError, match="'x'"):
        predictor.predict(record)


def test_a_request_of_200_rows_is_answered_by_the_plan_like_the_bundle(
    predictor: Predictor,
) -> None:
    df = frame(n=200, seed=5)[["x", "color", "size"]].astype(object)
    df.loc[::7, "size"] = None
    df.loc[::11, "color"] = "mauve"
    records = df.to_dict(orient="records")
    got = predictor.plan.predict(records)
    assert got is not None
    np.testing.assert_allclose(got, _bundle_proba(predictor, records), rtol=1e-9, atol=1e-12)


def test_the_event_loop_answer_never_learns_and_the_worker_answer_does(
    predictor: Predictor,
) -> None:
    record = [{"x": 0.1, "color": "ochre", "size": 5.0}]
    assert predictor.fast_predict(record) is None  # would run the preprocessors: not here
    answer = predictor.predict(record)  # the worker thread's call learns "ochre"
    again = predictor.fast_predict(record)
    assert again == answer
    want = _bundle_proba(predictor, record)[0]
    assert again["probabilities"][0]["yes"] == pytest.approx(want[1], rel=1e-9, abs=1e-12)


def test_too_many_new_values_in_one_call_go_generic_with_the_same_answer(
    predictor: Predictor,
) -> None:
    from tunelab.server.deployments.fastpath import LEARN_PER_CALL

    records = [{"x": 0.2, "color": f"new-{k}", "size": 3.0} for k in range(LEARN_PER_CALL + 1)]
    assert predictor.plan.predict(records) is None
    out = predictor.output(records)  # the generic path answers
    np.testing.assert_allclose(out, _bundle_proba(predictor, records), rtol=1e-9, atol=1e-12)
