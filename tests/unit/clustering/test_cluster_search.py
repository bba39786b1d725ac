"""ClusterSearch: recovers blobs with automatic k, states its rule, scores against a label."""

import numpy as np
import pandas as pd
import pytest
from cluster_frames import blobs
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from tunelab.clustering import CHOICE_RULE, ClusterSearch, elbow
from tunelab.clustering._scores import mean_ranks


@pytest.fixture(scope="module")
def searched() -> tuple[ClusterSearch, pd.DataFrame]:
    frame = blobs()
    return ClusterSearch("auto", time_budget=8, max_candidates=40, seed=0).fit(
        frame, label="truth"
    ), frame


def test_auto_k_recovers_the_blobs(searched) -> None:
    search, frame = searched
    assert search.n_clusters_ == 4
    assert adjusted_rand_score(frame["truth"], search.labels_) >= 0.9
    assert search.label_scores()["adjusted_rand"] >= 0.9


def test_the_label_never_enters_the_fit(searched) -> None:
    search, frame = searched
    assert "truth" not in search.feature_columns_
    shuffled = frame.assign(truth=np.random.default_rng(0).permutation(frame["truth"].to_numpy()))
    again = ClusterSearch("auto", time_budget=8, max_candidates=40, seed=0).fit(
        shuffled, label="truth"
    )
    np.testing.assert_array_equal(again.labels_, search.labels_)
    assert again.label_scores()["adjusted_rand"] < 0.1


def test_the_k_selection_shows_the_elbow_the_bic_and_the_rule(searched) -> None:
    search, _ = searched
    chosen = search.k_selection()
    assert chosen["mode"] == "auto"
    assert chosen["k_values"] == list(range(2, 16))  # min(15, sqrt(240)) = 15
    assert chosen["elbow_k"] == 4
    assert chosen["bic_k"] == 4
    assert chosen["rule"] == CHOICE_RULE
    assert len(chosen["inertia"]["k"]) == len(chosen["inertia"]["value"]) >= 3


def test_leaderboard_rows_are_best_first_by_mean_rank(searched) -> None:
    search, _ = searched
    board = search.leaderboard()
    ok = board[board["status"] == "ok"]
    assert ok["mean_rank"].is_monotonic_increasing
    assert {"algorithm", "scaling", "reduction", "k", "silhouette"} <= set(board.columns)
    assert {"calinski_harabasz", "davies_bouldin", "adjusted_rand"} <= set(board.columns)
    assert board.iloc[0]["number"] == search.best_.number
    assert len(board) <= 40


def test_predict_reproduces_the_training_labels(searched) -> None:
    search, frame = searched
    np.testing.assert_array_equal(search.predict(frame), search.labels_)


def test_a_fixed_k_skips_the_density_families() -> None:
    search = ClusterSearch(3, time_budget=5, max_candidates=12, seed=1).fit(blobs(centers=3))
    algorithms = {c.algorithm for c in search.candidates_}
    assert not algorithms & {"dbscan", "hdbscan"}
    assert {c.k for c in search.candidates_} == {3}
    assert search.n_clusters_ == 3


def test_the_search_is_seeded() -> None:
    frame = blobs(n_rows=120, centers=3)
    runs = [
        ClusterSearch(time_budget=30, max_candidates=15, seed=7).fit(frame).leaderboard()
        for _ in range(2)
    ]
    cols = ["algorithm", "scaling", "reduction", "k", "params", "silhouette"]
    pd.testing.assert_frame_equal(runs[0][cols], runs[1][cols])


def test_mean_ranks_follow_the_stated_directions() -> None:
    rows = [
        {"silhouette": 0.9, "calinski_harabasz": 500.0, "davies_bouldin": 0.2},
        {"silhouette": 0.5, "calinski_harabasz": 100.0, "davies_bouldin": 0.9},
        {"silhouette": 0.7, "calinski_harabasz": 900.0, "davies_bouldin": 0.4},
    ]
    assert mean_ranks(rows) == pytest.approx([(1 + 2 + 1) / 3, 3.0, (2 + 1 + 2) / 3])


def test_elbow_finds_the_bend() -> None:
    assert elbow([2, 3, 4, 5, 6, 7], [100, 60, 12, 10, 9, 8]) == 4
    assert elbow([2, 3], [5, 1]) is None


def test_the_chosen_model_is_one_pipeline_that_refits_to_the_same_clusters(searched) -> None:
    search, frame = searched
    model = search.model_
    assert [name for name, _ in model.steps] == ["preprocess", "reduce", "cluster"]
    np.testing.assert_array_equal(model.labels_, search.labels_)
    assert model.n_clusters_ == search.n_clusters_
    assert model.transform(frame).shape == (len(frame), search.n_clusters_)
    refit = clone(model).fit_predict(frame[search.feature_columns_])
    assert adjusted_rand_score(refit, search.labels_) == 1.0


def test_a_many_level_column_does_not_split_rows_into_singletons() -> None:
    frame = blobs(n_rows=120, centers=3, std=0.4)
    frame["note"] = [f"free text {i}" for i in range(len(frame))]  # one level per row
    search = ClusterSearch("auto", time_budget=8, max_candidates=25, seed=0).fit(
        frame, label="truth"
    )
    assert search.n_clusters_ == 3
    assert np.bincount(search.labels_).min() >= 30
    assert search.label_scores()["adjusted_rand"] >= 0.9


def test_a_spent_budget_still_yields_the_first_result() -> None:
    search = ClusterSearch(time_budget=1e-6, seed=0).fit(blobs(n_rows=60, centers=2))
    assert search.stop_reason_ == "time_budget"
    assert [c.status for c in search.candidates_] == ["ok"]
    assert search.n_clusters_ >= 2


def test_non_text_column_names_are_used_as_text() -> None:
    frame = blobs(n_rows=60, centers=2).drop(columns=["shade", "truth"])
    frame.columns = [0, 1, 2]
    search = ClusterSearch(time_budget=5, max_candidates=3, seed=0).fit(frame)
    assert search.feature_columns_ == ["0", "1", "2"]
    np.testing.assert_array_equal(search.predict(frame), search.labels_)
