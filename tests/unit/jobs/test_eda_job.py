"""The EDA job: figures computed on a bounded sample and stored as Plotly JSON artifacts."""

import json

import numpy as np
import pandas as pd
import pytest

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import eda_manifest_key, eda_plot_key
from tunelab.entities.platform import JobStatus
from tunelab.jobs import EDA_PLOTS, JOB_KINDS, Worker, default_handlers
from tunelab.tracking import MetadataStore


def _add(store: MetadataStore, artifacts: ArtifactStore, frame: pd.DataFrame) -> str:
    info = artifacts.put_bytes("datasets/d1/t.csv", frame.to_csv(index=False).encode())
    return store.add_dataset(
        id="d1",
        name="t.csv",
        source="upload",
        uri=info.key,
        size_bytes=info.size,
        sha256=info.sha256,
    ).id


def _frame(n: int, classification: bool) -> pd.DataFrame:
    """15 numeric columns; the target depends on f0..f2 only; plus two categoricals."""
    rng = np.random.default_rng(0)
    data = {f"f{i}": rng.normal(size=n).round(4) for i in range(15)}
    frame = pd.DataFrame(data)
    signal = frame["f0"] * 3 + frame["f1"] * 2 - frame["f2"] * 2
    frame["shop"] = rng.choice(["north", "south", "east"], n)
    frame["flag"] = rng.choice(["Y", "N"], n)
    frame["y"] = np.where(signal > 0, "good", "bad") if classification else signal.round(4)
    return frame


def _run(worker: Worker, store: MetadataStore, dataset_id: str, target: str | None) -> dict:
    job = store.enqueue_job("eda", {"dataset_id": dataset_id, "target": target})
    done = worker.run_once()
    assert done is not None
    assert done.id == job.id
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.result is not None
    return done.result


def _figure(artifacts: ArtifactStore, name: str) -> dict:
    return dict(json.loads(artifacts.read_bytes(eda_plot_key("d1", name))))


def test_eda_is_a_registered_job_kind() -> None:
    assert "eda" in JOB_KINDS
    assert "eda" in default_handlers()


def test_classification_figures(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    frame = _frame(6_000, classification=True)
    dataset_id = _add(store, artifacts, frame)
    result = _run(worker, store, dataset_id, "y")
    assert (result["n_sampled"], result["task"]) == (5_000, "binary")  # bounded sample
    manifest = json.loads(artifacts.read_bytes(eda_manifest_key(dataset_id)))
    assert manifest["plots"] == list(EDA_PLOTS)
    assert (manifest["n_rows"], manifest["n_sampled"]) == (6_000, 5_000)

    corr = _figure(artifacts, "correlation")["data"][0]
    assert corr["type"] == "heatmap"
    assert len(corr["x"]) == 15
    i, j = corr["x"].index("f0"), corr["x"].index("f3")
    full = frame[["f0", "f3"]].corr().iloc[0, 1]
    assert corr["z"][i][j] == pytest.approx(full, abs=0.05)  # sampled, close to the full data
    assert corr["z"][i][i] == pytest.approx(1.0)

    sploms = _figure(artifacts, "pairplot")["data"]
    labels = [d["label"] for d in sploms[0]["dimensions"]]
    assert len(labels) == 12  # at most 12 numeric columns
    assert set(labels[:3]) == {"f0", "f1", "f2"}  # the informative ones come first
    # one trace per class, named in the legend, in its own colour
    assert [(t["name"], t["showlegend"]) for t in sploms] == [("bad", True), ("good", True)]
    assert sploms[0]["marker"]["color"] != sploms[1]["marker"]["color"]
    assert sum(len(t["dimensions"][0]["values"]) for t in sploms) == 2_000

    parcoords = _figure(artifacts, "parallel_coordinates")["data"][0]
    target_axis = parcoords["dimensions"][-1]
    assert (target_axis["label"], target_axis["ticktext"]) == ("y", ["bad", "good"])
    legend = parcoords["line"]["colorbar"]  # the colour bar lists the classes
    assert parcoords["line"]["showscale"]
    assert legend["ticktext"] == ["bad", "good"]
    parcats = _figure(artifacts, "parallel_categories")["data"][0]
    assert [d["label"] for d in parcats["dimensions"]] == ["flag", "shop", "y"]

    pair = json.loads(artifacts.read_bytes(manifest["variables"]["f0"]))
    boxes = pair["against"]["data"]
    assert [b["name"] for b in boxes] == ["bad", "good"]
    assert np.median(boxes[1]["y"]) > np.median(boxes[0]["y"])  # f0 raises the score
    shop = json.loads(artifacts.read_bytes(manifest["variables"]["shop"]))
    assert sum(shop["distribution"]["data"][0]["y"]) == 5_000
    assert shop["against"]["layout"]["barmode"] == "stack"


def test_regression_and_no_target(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    frame = _frame(300, classification=False)
    dataset_id = _add(store, artifacts, frame)
    assert _run(worker, store, dataset_id, "y")["task"] == "regression"
    manifest = json.loads(artifacts.read_bytes(eda_manifest_key(dataset_id)))
    scatter = json.loads(artifacts.read_bytes(manifest["variables"]["f0"]))["against"]["data"][0]
    assert scatter["type"] == "scattergl"
    assert len(scatter["x"]) == 300
    corr = _figure(artifacts, "correlation")["data"][0]
    assert "y" in corr["x"]  # a numeric target joins the correlation matrix

    assert _run(worker, store, dataset_id, None)["target"] is None
    manifest = json.loads(artifacts.read_bytes(eda_manifest_key(dataset_id)))
    pair = json.loads(artifacts.read_bytes(manifest["variables"]["f0"]))
    assert pair["against"] is None
    parcoords = _figure(artifacts, "parallel_coordinates")["data"][0]
    assert [d["label"] for d in parcoords["dimensions"]] == [f"f{i}" for i in range(12)]
    assert "color" not in parcoords.get("line", {})


def test_unknown_target_fails_naming_it(
    worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    dataset_id = _add(store, artifacts, _frame(50, classification=True))
    store.enqueue_job("eda", {"dataset_id": dataset_id, "target": "price"})
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.FAILED
    assert "target column 'price' is not in dataset 'd1'" in done.error
    assert not artifacts.exists(eda_manifest_key(dataset_id))


def test_parallel_categories_of_an_all_numeric_table_says_why() -> None:
    from tunelab.jobs._eda_figures import parallel_categories

    frame = pd.DataFrame({"a": np.arange(40.0), "y": ["p", "q"] * 20})
    figure = parallel_categories(frame, [], "y", classification=True)
    assert [d["label"] for d in figure["data"][0]["dimensions"]] == ["y"]
    note = figure["layout"]["annotations"][0]["text"]
    assert note.startswith("Only the target is shown")
    slots = figure["layout"]["meta"]["tunelab_i18n"]
    assert {
        "path": "layout.annotations.0.text",
        "key": "charts.eda_parcats_target_only",
        "args": {},
    } in slots


def test_confusion_matrix_zero_cells_are_lightest() -> None:
    from tunelab.jobs._evaluate_figures import confusion_figure

    data = {
        "labels": ["a", "b"],
        "matrix": [[5, 0], [1, 4]],
        "normalized": [[1.0, 0.0], [0.2, 0.8]],
    }
    scale = confusion_figure(data)["data"][0]["colorscale"]
    light, dark = scale[0][1], scale[-1][1]
    brightness = [sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (light, dark)]
    assert brightness[0] > brightness[1]  # 0 % is the lightest colour
