"""``ClusteringAutoML``: the clustering search as an estimator, saved as a tunelab bundle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from tunelab.bundles import infer_input_schema, reference_statistics, save_bundle
from tunelab.clustering import (
    ClusterSearch,
    feature_frame,
    run_summary,
    write_cluster_report,
)
from tunelab.data import fingerprint
from tunelab.entities import ConfigError, DataError, TaskType
from tunelab.evaluation import jsonable

_LABEL_COLUMN = "(evaluation labels)"  # the column an array of labels becomes


class ClusteringAutoML(ClusterMixin, BaseEstimator):
    """Clustering AutoML with the scikit-learn estimator contract.

    ``fit(df, label=None)`` searches algorithms × scaling × dimension reduction × k within
    ``time_budget`` seconds (see :class:`tunelab.clustering.ClusterSearch` for the
    parameters) and keeps the best by the stated choice rule. ``label`` names a column used
    only to evaluate the clusterings (adjusted Rand, adjusted mutual information), or is an
    array of such labels; it never enters the fit.

    Fitted attributes: ``labels_`` (cluster of every training row, -1 = noise),
    ``n_clusters_``, ``model_`` (one fitted sklearn Pipeline), ``search_``.
    """

    def __init__(
        self,
        n_clusters: int | str = "auto",
        *,
        algorithms: Sequence[str] | None = None,
        scalings: Sequence[str] | None = None,
        reductions: Sequence[str] | None = None,
        time_budget: float = 60.0,
        max_candidates: int | None = None,
        seed: int = 0,
        callbacks: Sequence[Any] | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.algorithms = algorithms
        self.scalings = scalings
        self.reductions = reductions
        self.time_budget = time_budget
        self.max_candidates = max_candidates
        self.seed = seed
        self.callbacks = callbacks

    def stop(self) -> None:
        """End a running ``fit`` after its current candidate, keeping the best so far."""
        self._stopping = True
        search = self.__dict__.get("_search")
        if search is not None:
            search.stop()

    def fit(self, X: pd.DataFrame, label: Any = None) -> ClusteringAutoML:
        df, column = _with_label(X, label)
        search = ClusterSearch(
            self.n_clusters,
            algorithms=self.algorithms,
            scalings=self.scalings,
            reductions=self.reductions,
            time_budget=self.time_budget,
            max_candidates=self.max_candidates,
            seed=self.seed,
            callbacks=self.callbacks,
        )
        self._search = search
        if self.__dict__.get("_stopping"):
            search.stop()
        search.fit(df, label=column)
        self.search_ = search
        self.model_ = search.model_
        self.labels_ = search.labels_
        self.n_clusters_ = search.n_clusters_
        self.feature_columns_ = search.feature_columns_
        self.label_ = column if column != _LABEL_COLUMN else None
        return self

    def leaderboard(self) -> pd.DataFrame:
        """Every candidate (algorithm, scaling, reduction, k, scores), best first."""
        check_is_fitted(self, "search_")
        return self.search_.leaderboard()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The cluster of each row (-1 = noise for density families)."""
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(feature_frame(X, self.feature_columns_)))

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Distance of each row to each cluster centroid (in the model's feature space)."""
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.transform(feature_frame(X, self.feature_columns_)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Cluster membership probabilities (Gaussian mixtures only; ConfigError otherwise)."""
        check_is_fitted(self, "model_")
        if not hasattr(self.model_, "predict_proba"):
            raise ConfigError(
                f"the chosen algorithm ({self.search_.best_.algorithm}) gives no membership "
                "probabilities; use transform() for distances to the centroids"
            )
        return np.asarray(self.model_.predict_proba(feature_frame(X, self.feature_columns_)))

    def summary(self) -> dict[str, Any]:
        """Sizes, profiles, samples, k selection and leaderboard (see the report)."""
        check_is_fitted(self, "search_")
        return run_summary(self.search_)

    def save(self, path: str | Path) -> Path:
        """Bundle (task ``clustering``), leaderboard.csv/json, clusters.csv and report/."""
        check_is_fitted(self, "search_")
        return save_clustering(self, Path(path))


def _with_label(X: Any, label: Any) -> tuple[Any, str | None]:
    """The table and the name of its evaluation-label column (an array is added as one)."""
    if label is None or isinstance(label, str):
        return X, label
    if not isinstance(X, pd.DataFrame):
        return X, None  # ClusterSearch names the problem
    values = pd.Series(np.asarray(label), index=X.index)
    if len(values) != len(X):
        raise DataError(f"label has {len(values)} values for {len(X)} rows")
    return X.assign(**{_LABEL_COLUMN: values}), _LABEL_COLUMN


def save_clustering(engine: ClusteringAutoML, path: Path) -> Path:
    search = engine.search_
    X = search.X_
    kinds = {c.name: c.kind for c in search.profile_.columns if c.name in X.columns}
    schema = infer_input_schema(X, kinds)
    summary = run_summary(search)
    best = search.best_
    model = search.model_
    metrics = {
        "silhouette": best.silhouette,
        "calinski_harabasz": best.calinski_harabasz,
        "davies_bouldin": best.davies_bouldin,
        **(search.label_scores() or {}),
    }
    save_bundle(
        path,
        model,
        task=TaskType.CLUSTERING,
        target=engine.label_ or "",
        classes=None,
        feature_columns=search.feature_columns_,
        input_schema=schema,
        metrics=metrics,
        data_fingerprint=fingerprint(X),
        reference_stats=reference_statistics(X, schema),
        extra={
            "n_clusters": search.n_clusters_,
            "algorithm": best.algorithm,
            "params": best.params,
            "scaling": best.scaling,
            "reduction": best.reduction,
            "assign": model[-1].assign,
            "has_proba": hasattr(model, "predict_proba"),
            "cluster_sizes": summary["sizes"],
            "k_selection": summary["k_selection"],
            "search": {
                "stop_reason": search.stop_reason_,
                "n_candidates": len(search.candidates_),
            },
        },
    )
    board = search.leaderboard()
    board.to_csv(path / "leaderboard.csv", index=False)
    (path / "leaderboard.json").write_text(
        json.dumps(jsonable(board.to_dict(orient="records")), indent=2), encoding="utf-8"
    )
    X.assign(cluster=search.labels_).to_csv(path / "clusters.csv", index=False)
    write_cluster_report(path, summary)
    return path
