"""The summary of a finished clustering search (what the report and report.json show)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunelab.clustering._summary import (
    cluster_profiles,
    cluster_samples,
    cluster_sizes,
    parallel_data,
    projection,
)
from tunelab.evaluation import jsonable

if TYPE_CHECKING:
    from tunelab.clustering._search import ClusterSearch


def run_summary(search: ClusterSearch) -> dict[str, Any]:
    """Dataset, leaderboard, k selection, chosen model, cluster sizes, profiles, samples
    and the data of the 2-D projection and parallel-coordinates figures (JSON-ready)."""
    labels = search.labels_
    best = search.best_
    board = search.leaderboard()
    return jsonable(
        {
            "task": "clustering",
            "dataset": {"n_rows": search.n_rows_, "n_features": len(search.feature_columns_)},
            "label": search.label_,
            "label_scores": search.label_scores(),
            "n_candidates": len(search.candidates_),
            "fit_time": search.fit_time_,
            "stop_reason": search.stop_reason_,
            "best": {
                **best.row(),
                "params": ", ".join(f"{k}={v}" for k, v in best.params.items()),
            },
            "k_selection": search.k_selection(),
            "leaderboard": board.to_dict(orient="records"),
            "sizes": cluster_sizes(labels),
            "centroids": {
                "space": "model features (after preprocessing and reduction)",
                "values": search.model_[-1].centroids_,
            },
            "profiles": cluster_profiles(search.X_, labels),
            "samples": cluster_samples(search.X_, labels, seed=search.seed),
            "projection": projection(search.reference_, labels, seed=search.seed),
            "parallel": parallel_data(search.X_, labels, seed=search.seed),
        }
    )
