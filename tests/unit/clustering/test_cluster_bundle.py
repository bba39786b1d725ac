"""ClusteringAutoML.save: a verified tunelab bundle (task clustering) and the report."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cluster_frames import blobs

import tunelab
from tunelab.bundles import load_bundle
from tunelab.clustering import FAMILIES
from tunelab.entities import ConfigError, TaskType


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[tunelab.ClusteringAutoML, Path, pd.DataFrame]:
    frame = blobs(n_rows=160, centers=3)
    engine = tunelab.ClusteringAutoML(
        time_budget=10, max_candidates=12, algorithms=["gaussian_mixture", "kmeans"], seed=0
    ).fit(frame, label="truth")
    path = engine.save(tmp_path_factory.mktemp("run") / "bundle")
    return engine, path, frame


def test_the_bundle_round_trips_and_predicts_the_clusters(saved) -> None:
    engine, path, frame = saved
    bundle = load_bundle(path)
    assert bundle.task is TaskType.CLUSTERING
    assert bundle.manifest["extra"]["n_clusters"] == engine.n_clusters_ == 3
    assert "truth" not in bundle.feature_columns
    labels = bundle.predict(frame.drop(columns=["truth"]))
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, engine.labels_)
    np.testing.assert_array_equal(engine.predict(frame), engine.labels_)
    np.testing.assert_allclose(bundle.model.transform(frame), engine.transform(frame))


def test_the_bundle_refuses_class_probabilities(saved) -> None:
    _, path, frame = saved
    with pytest.raises(ConfigError, match="clustering model: no class probabilities"):
        load_bundle(path).predict_proba(frame)


def test_metrics_and_files_are_written(saved) -> None:
    engine, path, _ = saved
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["task"] == "clustering"
    assert manifest["metrics"]["silhouette"] == pytest.approx(engine.search_.best_.silhouette)
    assert manifest["metrics"]["adjusted_rand"] >= 0.9
    clusters = pd.read_csv(path / "clusters.csv")
    np.testing.assert_array_equal(clusters["cluster"], engine.labels_)
    board = pd.read_csv(path / "leaderboard.csv")
    assert list(board["rank"]) == list(range(1, len(board) + 1))


def test_the_report_has_the_leaderboard_sizes_profiles_and_offline_plots(saved) -> None:
    engine, path, frame = saved
    report = path / "report"
    summary = json.loads((report / "report.json").read_text())
    assert [s["rows"] for s in summary["sizes"]] == list(np.bincount(engine.labels_))
    profile = {p["column"]: p for p in summary["profiles"]}
    for cluster in range(3):
        rows = frame[engine.labels_ == cluster]
        assert profile["x2"]["clusters"][str(cluster)] == pytest.approx(rows["x2"].mean())
    assert set(summary["samples"]) == {"0", "1", "2"}
    assert len(summary["projection"]["x"]) == len(frame)
    page = (report / "index.html").read_text()
    assert "<script src='plotly.min.js'></script>" in page
    assert "cdn" not in page.lower()
    assert "Parallel coordinates by cluster" in page
    assert (report / "plotly.min.js").stat().st_size > 1_000_000
    text = (report / "README.md").read_text()
    assert "**Choice rule:** mean rank over silhouette" in text
    assert "## Cluster profiles" in text


def test_membership_probabilities_only_for_mixtures(saved) -> None:
    engine, _, frame = saved
    if engine.search_.best_.algorithm == "gaussian_mixture":
        proba = engine.predict_proba(frame)
        np.testing.assert_array_equal(proba.argmax(axis=1), engine.labels_)
    else:
        with pytest.raises(ConfigError, match="no membership probabilities"):
            engine.predict_proba(frame)


def test_an_array_label_works_like_a_label_column() -> None:
    frame = blobs(n_rows=90, centers=3)
    engine = tunelab.ClusteringAutoML(time_budget=5, max_candidates=4, algorithms=["kmeans"])
    engine.fit(frame.drop(columns=["truth"]), frame["truth"].to_numpy())
    assert engine.search_.label_scores()["adjusted_rand"] >= 0.9
    assert engine.label_ is None


@pytest.mark.parametrize("family", [f.name for f in FAMILIES])
def test_every_family_saves_a_bundle_the_exact_trust_list_loads(family, tmp_path) -> None:
    frame = blobs(n_rows=120, centers=3)
    engine = tunelab.ClusteringAutoML(
        n_clusters="auto" if family in ("dbscan", "hdbscan") else 3,
        algorithms=[family],
        max_candidates=1,
        time_budget=30,
        seed=0,
    ).fit(frame.drop(columns="truth"))
    bundle = load_bundle(engine.save(tmp_path / family))
    features = frame.drop(columns="truth")
    np.testing.assert_array_equal(np.asarray(bundle.predict(features)), engine.predict(features))
