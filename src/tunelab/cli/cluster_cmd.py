"""``tunelab automl DATA --task clustering``: the clustering search, and clustering predictions.

``automl_cmd`` dispatches here; heavy libraries load inside the functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import pandas as pd


def run_clustering(
    train_file: Path,
    *,
    out: Path,
    n_clusters: str | None,
    label: str | None,
    time_budget: float,
    max_candidates: int | None,
    algorithms: str | None,
    seed: int,
) -> None:
    """Search clusterings of ``train_file``; save the bundle, leaderboard and report in ``out``.

    Raises TunelabError for bad input (the caller prints it).
    """
    from tunelab.automl import ClusteringAutoML
    from tunelab.data import read_table

    frame = read_table(train_file)
    engine = ClusteringAutoML(
        n_clusters=n_clusters or "auto",
        algorithms=[a.strip() for a in algorithms.split(",")] if algorithms else None,
        time_budget=time_budget,
        max_candidates=max_candidates,
        seed=seed,
    )
    engine.fit(frame, label=label)
    engine.save(out)
    search = engine.search_
    best = search.best_
    typer.echo(
        f"clustering · {len(search.candidates_)} candidates · {search.fit_time_:.1f} s · "
        f"stopped: {search.stop_reason_}"
    )
    typer.echo(
        f"chosen: {best.algorithm} ({best.scaling} scaling, {best.reduction} reduction) "
        f"with {engine.n_clusters_} clusters; rule: {search.choice_rule_}"
    )
    columns = ["rank", "algorithm", "scaling", "reduction", "k", "n_clusters"]
    columns += ["silhouette", "calinski_harabasz", "davies_bouldin", "mean_rank"]
    typer.echo(engine.leaderboard().head(10)[columns].to_string(index=False))
    scores = search.label_scores()
    if scores:
        typer.echo(
            f"against {label!r}: adjusted Rand {scores['adjusted_rand']:.4f}, "
            f"adjusted mutual information {scores['adjusted_mutual_info']:.4f}"
        )
    typer.echo(f"saved clustering bundle, leaderboard and report to {out}")


def cluster_predictions(bundle: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``cluster``, ``distance_<k>`` and (Gaussian mixtures) ``proba_<k>`` of each row
    (``tunelab.clustering.cluster_assignments``; the REST deployment answers the same)."""
    from tunelab.clustering import cluster_assignments

    return cluster_assignments(bundle.model, bundle.validate(frame))


def cluster_evaluation(bundle: Any, frame: pd.DataFrame, data_file: Path) -> dict[str, float]:
    """Adjusted Rand index and adjusted mutual information of the bundle's clusters against
    the label column it was fitted with (``--label``); DataError when there is none."""
    from tunelab.clustering import label_scores
    from tunelab.entities import DataError

    label = str(bundle.manifest.get("target") or "")
    if not label:
        raise DataError(
            f"clustering bundle {bundle.path} was fitted without --label: there is no label "
            "column to evaluate against"
        )
    if label not in frame.columns:
        raise DataError(f"{data_file} has no label column {label!r}")
    return label_scores(frame[label], bundle.predict(frame.drop(columns=[label])))
