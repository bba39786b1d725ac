"""torch_mlp with category embeddings: embed flavor, unseen values, seeds, bundle round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from tunelab.bundles import load_bundle, save_bundle
from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    ConfigError,
    PreprocessingSettings,
    TaskType,
)
from tunelab.models import ModelContext, get_model_spec
from tunelab.models._torch_embed import embedding_dim
from tunelab.models._torch_net import TorchMLPClassifier, TorchMLPRegressor
from tunelab.preprocessing import categorical_code_columns, make_model_pipeline

SMALL = {"n_layers": 2, "width": 32, "batch_size": 32, "max_epochs": 25, "patience": 5}
KINDS = {
    "x": ColumnKind.NUMERIC,
    "city": ColumnKind.CATEGORICAL,
    "z": ColumnKind.NUMERIC,
    "grade": ColumnKind.CATEGORICAL,
}


def _frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grade = rng.choice(["a", "b", "c"], n).astype(object)
    grade[:15] = None  # missing values: a category of their own
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "city": rng.choice(["seoul", "busan", "daegu", "incheon", "ulsan"], n),
            "z": rng.normal(size=n),
            "grade": grade,
        }
    )


def _targets(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    effect = frame["city"].map(
        {"seoul": 2.0, "busan": -1.0, "daegu": 0.5, "incheon": -1.5, "ulsan": 0.0}
    )
    value = (frame["x"] + effect + (frame["grade"] == "b") * 1.0).to_numpy(dtype=float)
    return {"regression": value * 10 + 3, "binary": (value > 0.2).astype(int)}


def _model(task: str, seed: int = 0, **params: object) -> object:
    params = {"cat_encoding": "embedding", **params}
    estimator = (TorchMLPRegressor if task == "regression" else TorchMLPClassifier)(
        **SMALL, random_state=seed, **params
    )
    settings = PreprocessingSettings(
        columns={name: ColumnSettings(kind=kind) for name, kind in KINDS.items()}
    )
    return make_model_pipeline(settings, estimator, task=task, flavor="embed")


def _predict(model: object, frame: pd.DataFrame, task: str) -> np.ndarray:
    if task == "regression":
        return np.asarray(model.predict(frame))  # type: ignore[attr-defined]
    return np.asarray(model.predict_proba(frame))  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    frame = _frame()
    return frame, _targets(frame)


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, dict[str, np.ndarray]]) -> dict[str, object]:
    frame, y = data
    return {task: _model(task).fit(frame, y[task]) for task in ("regression", "binary")}


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_categories_reach_embeddings_with_their_cardinalities(
    fitted: dict[str, object], task: str
) -> None:
    model = fitted[task]
    codes = categorical_code_columns(model.preprocessor_)  # type: ignore[attr-defined]
    estimator = model.estimator_  # type: ignore[attr-defined]
    assert len(codes) == 2
    assert estimator.categorical_features == tuple(codes)
    cat = estimator.config_["categorical"]
    assert sorted(cat["cardinalities"]) == [3, 5]  # grade a/b/c (+ missing), 5 cities
    assert sorted(cat["missing"]) == [False, True]
    import torch

    tables = [m for m in estimator.module_.modules() if isinstance(m, torch.nn.Embedding)]
    # rows: unseen (zeros), missing, then the categories
    assert sorted(t.num_embeddings for t in tables) == [5, 7]
    assert all(t.padding_idx == 0 for t in tables)
    assert [t.embedding_dim for t in tables] == cat["dims"]
    # the first layer reads the numbers (no missing numbers: no flags) and the embeddings
    first = next(m for m in estimator.module_.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == estimator.n_features_in_ - 2 + sum(cat["dims"])


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_learns_from_the_categories(fitted: dict[str, object], task: str) -> None:
    new = _frame(200, seed=1)
    truth = _targets(new)[task]
    model = fitted[task]
    # fresh rows: the target depends on the city as much as on x
    assert model.score(new, truth) > (0.6 if task == "regression" else 0.75)  # type: ignore[attr-defined]


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_unseen_and_missing_categories_predict(fitted: dict[str, object], task: str) -> None:
    new = _frame(6, seed=2)
    new["city"] = ["tokyo", None, "seoul", "paris", "busan", None]
    new["grade"] = [None, "z", "a", None, "b", "c"]
    out = _predict(fitted[task], new, task)
    assert out.shape[0] == 6
    assert np.isfinite(out).all()


def test_same_seed_same_predictions_other_seed_differs(
    data: tuple[pd.DataFrame, dict[str, np.ndarray]], fitted: dict[str, object]
) -> None:
    frame, y = data
    again = _model("binary").fit(frame, y["binary"])
    other = _model("binary", seed=1).fit(frame, y["binary"])
    reference = _predict(fitted["binary"], frame, "binary")
    assert np.array_equal(_predict(again, frame, "binary"), reference)
    assert not np.array_equal(_predict(other, frame, "binary"), reference)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_bundle_round_trip_identical_predictions(
    fitted: dict[str, object],
    data: tuple[pd.DataFrame, dict[str, np.ndarray]],
    task: str,
    tmp_path: Path,
) -> None:
    frame, _ = data
    model = fitted[task]
    path = save_bundle(
        tmp_path / "bundle",
        model,
        task=task,
        target="y",
        classes=[0, 1] if task == "binary" else None,
        feature_columns=list(frame.columns),
        input_schema=frame,
    )
    bundle = load_bundle(path)
    new = pd.concat([frame, _frame(4, seed=3).assign(city="unseen")], ignore_index=True)
    if task == "binary":
        got = bundle.predict_proba(new).to_numpy()
    else:
        got = np.asarray(bundle.predict(new))
    assert np.array_equal(got, _predict(model, new, task))
    state = model.estimator_.__getstate__()  # type: ignore[attr-defined]
    assert "module_" not in state
    assert any(name.startswith("embeddings.") for name in state["weights_"])


def test_onehot_inside_the_network_auto_rule_and_no_categories() -> None:
    frame = _frame(120)
    y = _targets(frame)["binary"]
    onehot = _model("binary", cat_encoding="onehot").fit(frame, y)
    import torch

    net = onehot.estimator_.module_  # type: ignore[attr-defined]
    assert not any(isinstance(m, torch.nn.Embedding) for m in net.modules())
    first = next(m for m in net.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 2 + (5 + 1) + (3 + 1)  # numbers, one-hot (missing row kept)
    # auto: grade has 4 levels with missing (one-hot), city 5 (embedded)
    auto = _model("binary", cat_encoding="auto", onehot_max_levels=4).fit(frame, y)
    net = auto.estimator_.module_  # type: ignore[attr-defined]
    tables = [m for m in net.modules() if isinstance(m, torch.nn.Embedding)]
    assert [t.num_embeddings for t in tables] == [5 + 2]
    first = next(m for m in net.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 2 + tables[0].embedding_dim + (3 + 1)
    assert np.isfinite(auto.predict_proba(frame)).all()  # type: ignore[attr-defined]
    numbers = frame[["x", "z"]].to_numpy()
    plain = TorchMLPClassifier(**SMALL).fit(numbers, y)  # no categories: a plain Sequential
    assert isinstance(plain.module_, torch.nn.Sequential)


def test_bad_category_settings_are_named() -> None:
    X = np.array([[0.5, 1.0], [0.1, 2.0], [0.3, 0.0], [0.2, 1.0]])
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ConfigError, match="categorical_features"):
        TorchMLPClassifier(max_epochs=1, categorical_features=(5,)).fit(X, y)
    with pytest.raises(ConfigError, match="integer codes"):
        TorchMLPClassifier(max_epochs=1, categorical_features=(0,)).fit(X, y)
    with pytest.raises(ConfigError, match="cat_encoding"):
        TorchMLPClassifier(max_epochs=1, categorical_features=(1,), cat_encoding="hash").fit(X, y)


def test_spec_uses_the_embed_flavor_and_searches_the_encoding() -> None:
    spec = get_model_spec("torch_mlp")
    assert spec.flavor == "embed"
    ctx = ModelContext(task=TaskType.BINARY, n_rows=300, n_features=8, n_classes=2)
    assert 1 in spec.search_space(ctx)["onehot_max_levels"].choices  # 1: embed every column
    built = spec.make({}, ctx)
    assert (built.cat_encoding, built.onehot_max_levels) == ("auto", 16384)
    assert [embedding_dim(k, 16) for k in (2, 10, 1000)] == [2, 6, 16]
