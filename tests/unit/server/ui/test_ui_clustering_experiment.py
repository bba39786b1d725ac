"""A clustering experiment from the Setup page: task "clustering" shows its own card (no
target, metric, split or sampling), Start runs the clustering search, and the Run page shows
the clustering leaderboard and the choice rule; English and Korean."""

import sys
from pathlib import Path

from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker

sys.path.insert(0, str(Path(__file__).parents[2] / "clustering"))
sys.path.insert(0, str(Path(__file__).parent))
from cluster_frames import blobs
from test_ui_korean_pages import ABBREVIATIONS, PRODUCT_NAMES, english_words

# the user's own names shown on the pages: dataset, columns, category values
DATA = {"b", "csv", "x1", "x2", "x", "3", "shade", "truth", "dark", "light", "mid"}
CODE_NAMES = {"silhouette", "none", "standard", "robust", "minmax", "pca", "fast_ica"}

FORM = {
    "task": "clustering",
    "n_clusters": "3",
    "cluster_label": "truth",
    "time_budget": "3",
    "max_trials": "4",
    "algorithms": ["kmeans", "birch"],
    # what the hidden supervised parts of the form still send
    "target": "shade",
    "metric": "roc_auc",
    "split_kind": "auto",
    "cv_test_pct": "20",
}


def _tag(html: str, testid: str) -> str:
    """The opening tag holding ``data-testid=testid``."""
    before, after = html.split(f'data-testid="{testid}"', 1)
    return before.rsplit("<", 1)[1] + after.split(">", 1)[0]


def test_setup_starts_a_clustering_run_and_the_run_page_ranks_it(
    client: TestClient, worker: Worker
) -> None:
    dataset_id = upload(client, str(blobs(n_rows=90, centers=3).to_csv(index=False)), "b.csv")
    worker.run_once()  # profiled
    created = client.post(
        "/api/v1/experiments", json={"dataset_id": dataset_id, "target": "shade"}
    )
    experiment_id = created.json()["id"]

    html = client.get(f"/experiments/{experiment_id}/setup").text
    assert "hidden" in _tag(html, "clustering-settings")  # a supervised experiment
    assert 'value="clustering"' in html
    assert 'data-testid="algorithms-hdbscan"' in html  # clustering families are offered

    answer = client.post(
        f"/experiments/{experiment_id}/setup",
        data={"version": "0", **FORM, "action": "start"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/experiments/{experiment_id}/run"
    experiment = client.get(f"/api/v1/experiments/{experiment_id}").json()
    assert experiment["task"] == "clustering"
    assert experiment["target"] == ""
    assert experiment["metric"] is None
    assert experiment["settings"]["clustering"] == {"n_clusters": 3, "label": "truth"}
    assert experiment["settings"]["algorithms"] == ["kmeans", "birch"]

    setup = client.get(f"/experiments/{experiment_id}/setup").text
    assert "hidden" in _tag(setup, "split-settings")  # clustering: no split
    assert "hidden" not in _tag(setup, "clustering-settings")
    assert '<option value="truth" selected>' in setup.split('data-testid="field-cluster_label"')[1]

    worker.run_once()
    experiment = client.get(f"/api/v1/experiments/{experiment_id}").json()
    assert experiment["status"] == "finished", experiment["error"]

    page = client.get(f"/experiments/{experiment_id}/run").text
    board = page.split('data-testid="cluster-board"')[1]
    n_rows = board.count('data-testid="cluster-board-row"')
    assert 1 <= n_rows <= 4
    assert "Calinski–Harabasz" in board
    assert "Davies–Bouldin" in board
    assert "Adjusted Rand" in board  # the evaluation column's scores
    assert "mean rank over silhouette" in board
    assert f'href="/models/{experiment["best_model_id"]}/clusters"' in board
    assert 'data-testid="split-clustering"' in page
    assert 'data-testid="run-no-target"' not in page
    assert 'data-testid="trial-model"' not in page

    korean = client.get(f"/experiments/{experiment_id}/run?lang=ko").text
    assert "선택 규칙" in korean
    assert "군집 보기" in korean
    assert english_words(korean, DATA | CODE_NAMES | PRODUCT_NAMES | ABBREVIATIONS) == []
    assert "실루엣 (silhouette)" in korean  # the live metric: a label and its code name
    partial = client.get(f"/experiments/{experiment_id}/run/leaderboard?lang=ko").text
    assert partial.count('data-testid="cluster-board-row"') == n_rows

    # the Setup page of a clustering experiment opens with its card shown
    setup_ko = client.get(f"/experiments/{experiment_id}/setup?lang=ko").text
    assert "군집 수" in setup_ko
