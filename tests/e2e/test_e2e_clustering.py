"""A clustering experiment in a real browser: the Setup page's task "clustering" (number of
clusters, evaluation column), a few-second run on the real worker, the clustering
leaderboard on the Run page, and the Clusters page with parallel coordinates; EN and KO."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_api import experiment_without_target
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _blobs_csv(n_rows: int = 120, seed: int = 0) -> bytes:
    """Three well-separated groups in three numeric columns; ``group`` is the truth."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 0.0], [8.0, 8.0, 0.0], [0.0, 8.0, 8.0]])
    group = np.arange(n_rows) % 3
    points = centers[group] + rng.normal(scale=0.7, size=(n_rows, 3))
    lines = ["a,b,c,group"] + [
        f"{x:.4f},{y:.4f},{z:.4f},g{g}" for (x, y, z), g in zip(points, group, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


def _experiment(page: Any, server: str) -> str:
    file = {"name": "blobs.csv", "mimeType": "text/csv", "buffer": _blobs_csv()}
    return experiment_without_target(page.request, server, file, "segments e2e")


def test_a_clustering_experiment_from_setup_to_the_clusters(
    page: Any, server: str, shot: Callable[[str], Path]
) -> None:
    experiment_id = _experiment(page, server)
    page.goto(f"/experiments/{experiment_id}/setup")
    expect(page.get_by_test_id("clustering-settings")).to_be_hidden()

    # task "clustering": its own card; no target, metric, split or sampling
    page.get_by_test_id("field-task").select_option("clustering")
    expect(page.get_by_test_id("clustering-settings")).to_be_visible()
    expect(page.get_by_test_id("field-target")).to_be_hidden()
    expect(page.get_by_test_id("split-settings")).to_be_hidden()
    expect(page.get_by_test_id("sampling-settings")).to_be_hidden()
    page.get_by_test_id("field-n_clusters").select_option("auto")
    page.get_by_test_id("field-cluster_label").select_option("group")
    page.get_by_test_id("field-time_budget").fill("30")  # 8 candidates end it in seconds
    page.get_by_test_id("advanced").locator("summary").click()
    expect(page.get_by_test_id("algorithms-lightgbm")).to_be_hidden()  # supervised only
    expect(page.get_by_test_id("preprocessing-settings")).to_be_hidden()
    expect(page.get_by_test_id("ensemble-settings")).to_be_hidden()
    expect(page.get_by_test_id("field-trial_timeout")).to_be_hidden()  # no trial processes
    expect(page.get_by_test_id("field-seed")).to_be_visible()
    for name in ("kmeans", "gaussian_mixture"):
        page.get_by_test_id(f"algorithms-{name}").check()
    page.get_by_test_id("field-max_trials").fill("8")
    shot("setup")

    page.get_by_test_id("start").click()
    expect(page).to_have_url(re.compile(rf"/experiments/{experiment_id}/run$"))
    # the board turns into the clustering leaderboard when the run ends (no reload)
    expect(page.get_by_test_id("cluster-board")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("experiment-status")).to_have_text("Finished")
    rows = page.get_by_test_id("cluster-board-row")
    assert 2 <= rows.count() <= 8
    expect(page.get_by_test_id("cluster-rule")).to_contain_text("mean rank over silhouette")
    expect(page.get_by_test_id("cluster-chosen")).to_contain_text("3 clusters")
    expect(page.get_by_test_id("cluster-label-scores")).to_contain_text("adjusted Rand")
    shot("run")

    page.get_by_test_id("cluster-open").click()
    expect(page).to_have_url(re.compile(r"/models/[0-9a-f]+/clusters$"))
    plot = page.get_by_test_id("plot-cluster-parallel")
    expect(plot).to_have_attribute("data-rendered", "true")
    expect(plot.locator(".parcoords")).to_have_count(1)
    expect(page.get_by_test_id("parallel-legend-item")).to_have_count(3)
    expect(page.get_by_test_id("parallel-legend")).to_contain_text("Cluster 0")
    expect(page.get_by_test_id("cluster-samples")).to_have_count(3)  # sample rows per cluster
    expect(page.get_by_test_id("cluster-sample-row").first).to_be_visible()
    shot("clusters")
    clusters_url = page.url

    page.goto(f"/experiments/{experiment_id}/run?lang=ko")
    expect(page.get_by_test_id("cluster-rule")).to_contain_text("선택 규칙")
    shot("run-ko")
    page.goto(f"{clusters_url}?lang=ko")
    expect(page.get_by_text("군집별 평행 좌표")).to_be_visible()
    expect(page.get_by_test_id("parallel-legend")).to_contain_text("군집 0")
    expect(page.get_by_test_id("clusters-samples")).to_contain_text("표본 행")
    expect(page.get_by_test_id("plot-cluster-parallel")).to_have_attribute("data-rendered", "true")
    shot("clusters-ko")
    page.goto(f"/experiments/{experiment_id}/setup?lang=ko")
    expect(page.get_by_test_id("clustering-settings")).to_be_visible()
    expect(page.get_by_text("군집 수", exact=True)).to_be_visible()
    shot("setup-ko")
