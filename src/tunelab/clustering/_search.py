"""The clustering search: algorithms × scaling × dimension reduction × k within a time budget.

Order of the candidates (seeded, deterministic for a given seed and data):

1. k-means then a Gaussian mixture on the standard-scaled features for every k (automatic
   k) or the chosen k; these also give the inertia elbow and the BIC curve;
2. every other chosen family with its default settings at the promising k values (the best
   so far, the elbow, the lowest BIC), density families once;
3. random candidates (family, settings, k, scaling, reduction) until the budget or
   ``max_candidates`` runs out.

Fits run in this process, one at a time; before each fit the search checks the time left
and skips a candidate whose family already needed longer than that. The best candidate by
the choice rule (see ``_scores.CHOICE_RULE``) becomes ``model_``: one scikit-learn Pipeline
(preprocess → reduce → ClusterModel) already fitted on every row.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tunelab.clustering._estimator import ClusterPipeline
from tunelab.clustering._families import ClusterFamily, family_names, get_family
from tunelab.clustering._prepare import (
    REDUCTIONS,
    REFERENCE_SCALING,
    SCALINGS,
    FeatureSpaces,
    auto_k_range,
    check_choice,
    check_k,
    clustering_settings,
    parse_n_clusters,
    split_label,
)
from tunelab.clustering._scores import (
    CHOICE_RULE,
    SILHOUETTE_ROWS,
    elbow,
    internal_scores,
    label_scores,
    mean_ranks,
)
from tunelab.entities import ConfigError, DataError, SchemaError

RANDOM_TRIES = 200  # draws in a row that only hit seen candidates end the search


@dataclass
class Candidate:
    """One fitted (or failed / skipped) clustering candidate: a leaderboard row."""

    number: int
    algorithm: str
    scaling: str
    reduction: str
    k: int | None
    params: dict[str, Any]
    status: str = "pending"  # ok, failed, skipped
    n_clusters: int = 0
    noise_ratio: float = 0.0
    silhouette: float | None = None
    calinski_harabasz: float | None = None
    davies_bouldin: float | None = None
    adjusted_rand: float | None = None
    adjusted_mutual_info: float | None = None
    inertia: float | None = None
    bic: float | None = None
    mean_rank: float | None = None
    fit_time: float = 0.0
    error: str | None = None
    model: Any = field(default=None, repr=False)
    labels: Any = field(default=None, repr=False)

    def key(self) -> tuple[Any, ...]:
        return (
            self.algorithm,
            self.scaling,
            self.reduction,
            self.k,
            tuple(sorted(self.params.items())),
        )

    def row(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("model")
        out.pop("labels")
        return out


class ClusterSearch:
    """Search clustering pipelines for a table and keep the best by the stated rule.

    Args:
        n_clusters: ``"auto"`` (k from 2 to min(15, √n)) or a whole number >= 2; a fixed k
            skips the density families, which choose their own number of clusters.
        algorithms: family names (default: all; see ``family_names()``).
        scalings: of standard, robust, minmax, none (default: all).
        reductions: of none, pca, fast_ica (default: all).
        time_budget: seconds for the whole search (preprocessing included).
        max_candidates: stop after this many fitted candidates.
        seed: seeds the candidate order and every randomised estimator.
        callbacks: objects told about each candidate: ``on_candidate_start(candidate)``
            before its fit and ``on_candidate_end(candidate)`` after it (either is optional).

    ``stop()`` (from another thread) ends the search after the candidate being fitted; the
    best candidate so far is kept.
    """

    def __init__(
        self,
        n_clusters: int | str | None = "auto",
        *,
        algorithms: Sequence[str] | None = None,
        scalings: Sequence[str] | None = None,
        reductions: Sequence[str] | None = None,
        time_budget: float = 60.0,
        max_candidates: int | None = None,
        seed: int = 0,
        silhouette_rows: int = SILHOUETTE_ROWS,
        callbacks: Sequence[Any] | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.algorithms = algorithms
        self.scalings = scalings
        self.reductions = reductions
        self.time_budget = time_budget
        self.max_candidates = max_candidates
        self.seed = seed
        self.silhouette_rows = silhouette_rows
        self.callbacks = callbacks

    def stop(self) -> None:
        """Ask a running ``fit`` to end after the current candidate (thread-safe)."""
        self._stop_event().set()

    def _stop_event(self) -> threading.Event:
        event = self.__dict__.get("_stop_requested")
        if event is None:
            event = self.__dict__.setdefault("_stop_requested", threading.Event())
        return event

    def _notify(self, hook: str, candidate: Candidate) -> None:
        for callback in self.callbacks or ():
            method = getattr(callback, hook, None)
            if method is not None:
                method(candidate)

    # ----------------------------------------------------------------- checks
    def _families(self, k: int | None) -> list[ClusterFamily]:
        names = check_choice(self.algorithms, tuple(family_names()), "algorithms")
        chosen = [get_family(n) for n in names]
        if k is not None:
            chosen = [f for f in chosen if f.takes_k]
            if not chosen:
                raise ConfigError(
                    f"n_clusters={k}: none of the chosen algorithms ({', '.join(names)}) takes "
                    "a number of clusters; use n_clusters='auto' or add e.g. kmeans"
                )
        return chosen

    def _check(self) -> None:
        if not (isinstance(self.time_budget, int | float) and self.time_budget > 0):
            raise ConfigError(f"time_budget={self.time_budget!r}: expected seconds > 0")
        if self.max_candidates is not None and int(self.max_candidates) < 1:
            raise ConfigError(f"max_candidates={self.max_candidates!r}: expected at least 1")

    # -------------------------------------------------------------------- fit
    def fit(self, df: pd.DataFrame, label: str | None = None) -> ClusterSearch:
        """Search clusterings of ``df``; ``label`` (optional) is only used to evaluate them."""
        start = time.monotonic()
        self._check()
        k = parse_n_clusters(self.n_clusters)
        families = self._families(k)
        scalings = check_choice(self.scalings, SCALINGS, "scalings")
        reductions = check_choice(self.reductions, REDUCTIONS, "reductions")
        X, truth = split_label(df, label)
        check_k(k, len(X))
        self._deadline = start + float(self.time_budget)
        self._rng = np.random.default_rng(self.seed)
        settings, self.profile_ = clustering_settings(X)
        self.settings_ = settings
        self._spaces = FeatureSpaces(X, settings, self.seed)
        self.reference_ = self._spaces.matrix(REFERENCE_SCALING, "none")
        self._truth = truth
        self.X_ = X
        self._family_time: dict[str, float] = {}
        self.candidates_: list[Candidate] = []
        self.label_ = label
        self.feature_columns_ = [str(c) for c in X.columns]
        self.k_values_ = [k] if k is not None else auto_k_range(len(X))
        self.n_clusters_requested_ = k
        self.n_rows_ = len(X)
        self.stop_reason_ = "exhausted"
        with threadpool_limits(limits=1):  # OpenMP/BLAS threads oversubscribe a busy machine
            self._run(families, scalings, reductions)
        self._choose()
        self.fit_time_ = time.monotonic() - start
        return self

    def _budget_left(self) -> float:
        return self._deadline - time.monotonic()

    def _has_result(self) -> bool:
        return any(c.status == "ok" for c in self.candidates_)

    def _full(self) -> bool:
        if self._stop_event().is_set():
            self.stop_reason_ = "stopped"
            return True
        fitted = sum(c.status != "skipped" for c in self.candidates_)
        if self.max_candidates is not None and fitted >= int(self.max_candidates):
            self.stop_reason_ = "max_candidates"
            return True
        # the budget ends the search once it has a result: the first success is always waited for
        if self._budget_left() <= 0 and self._has_result():
            self.stop_reason_ = "time_budget"
            return True
        return False

    def _run(
        self, families: list[ClusterFamily], scalings: tuple[str, ...], reductions: tuple[str, ...]
    ) -> None:
        seen: set[tuple[Any, ...]] = set()
        base_scaling = REFERENCE_SCALING if REFERENCE_SCALING in scalings else scalings[0]
        base_reduction = "none" if "none" in reductions else reductions[0]
        by_name = {f.name: f for f in families}
        # 1. the k scan: k-means and a Gaussian mixture at every k
        for name in ("kmeans", "gaussian_mixture"):
            if name in by_name:
                for each_k in self.k_values_:
                    self._try(by_name[name], {}, each_k, base_scaling, base_reduction, seen)
        # 2. every other family's defaults at the promising k values
        for family in families:
            if family.name in ("kmeans", "gaussian_mixture"):
                continue
            ks: list[int | None] = list(self._promising_k()) if family.takes_k else [None]
            for some_k in ks:
                self._try(family, {}, some_k, base_scaling, base_reduction, seen)
        # 3. random candidates
        misses = 0
        while not self._full() and misses < RANDOM_TRIES:
            family = families[int(self._rng.integers(len(families)))]
            params = family.random_params(self._rng)
            k = (
                self.k_values_[int(self._rng.integers(len(self.k_values_)))]
                if family.takes_k
                else None
            )
            scaling = scalings[int(self._rng.integers(len(scalings)))]
            reduction = reductions[int(self._rng.integers(len(reductions)))]
            misses = 0 if self._try(family, params, k, scaling, reduction, seen) else misses + 1
        if misses >= RANDOM_TRIES:
            self.stop_reason_ = "exhausted"

    def _promising_k(self) -> list[int]:
        if len(self.k_values_) == 1:
            return list(self.k_values_)
        picks = [self.elbow_k(), self.bic_k()]
        ok = [c for c in self.candidates_ if c.status == "ok"]
        if ok:
            ranks = mean_ranks([c.row() for c in ok])
            picks.insert(0, ok[int(np.argmin(ranks))].n_clusters)
        out = [k for k in dict.fromkeys(picks) if k is not None and k in self.k_values_]
        return out or [self.k_values_[0]]

    def _try(
        self,
        family: ClusterFamily,
        params: dict[str, Any],
        k: int | None,
        scaling: str,
        reduction: str,
        seen: set[tuple[Any, ...]],
    ) -> bool:
        """Fit one candidate unless seen, over budget or too large; True when new."""
        params = {**family.default_params(), **params}
        candidate = Candidate(
            number=len(self.candidates_),
            algorithm=family.name,
            scaling=scaling,
            reduction=reduction,
            k=k,
            params=params,
        )
        if candidate.key() in seen or self._full():
            return False
        if self._has_result() and self._family_time.get(family.name, 0.0) > self._budget_left():
            return False  # its last fit took longer than the time left
        seen.add(candidate.key())
        self.candidates_.append(candidate)
        self._notify("on_candidate_start", candidate)
        if family.max_rows is not None and self.n_rows_ > family.max_rows:
            candidate.status = "skipped"
            candidate.error = f"{family.label} is limited to {family.max_rows} rows"
        else:
            self._fit(candidate, family)
        self._notify("on_candidate_end", candidate)
        return True

    def _fit(self, candidate: Candidate, family: ClusterFamily) -> None:
        began = time.monotonic()
        try:
            pre, reducer, matrix = self._spaces.steps(candidate.scaling, candidate.reduction)
            model = family.make(candidate.k or 2, candidate.params, self.seed, len(matrix))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(matrix)
            labels = np.asarray(model.labels_)
            candidate.n_clusters = int(model.n_clusters_)
            candidate.noise_ratio = float(model.noise_ratio_)
            candidate.__dict__.update(
                internal_scores(
                    self.reference_, labels, seed=self.seed, max_rows=self.silhouette_rows
                )
            )
            if self._truth is not None:
                candidate.__dict__.update(label_scores(self._truth, labels))
            inner: Any = model.estimator_
            if hasattr(inner, "inertia_"):
                candidate.inertia = float(inner.inertia_)
            if hasattr(inner, "bic"):
                candidate.bic = float(inner.bic(matrix))
            candidate.model = ClusterPipeline(
                [("preprocess", pre), ("reduce", reducer), ("cluster", model)]
            )
            candidate.labels = labels
            candidate.status = "ok"
        except Exception as exc:  # one failing candidate must not end the search
            candidate.status = "failed"
            candidate.error = f"{type(exc).__name__}: {exc}"[:300]
        candidate.fit_time = time.monotonic() - began
        self._family_time[family.name] = max(
            self._family_time.get(family.name, 0.0), candidate.fit_time
        )

    def _choose(self) -> None:
        ok = [c for c in self.candidates_ if c.status == "ok"]
        if not ok:
            reasons = sorted({c.error or c.status for c in self.candidates_})
            raise DataError(
                "no clustering candidate found two or more clusters in the table "
                f"({len(self.candidates_)} tried): " + "; ".join(reasons[:5])
            )
        for candidate, rank in zip(ok, mean_ranks([c.row() for c in ok]), strict=True):
            candidate.mean_rank = rank
        best = min(ok, key=lambda c: (c.mean_rank, -(c.silhouette or 0.0), c.number))
        self.best_ = best
        self.model_ = best.model
        self.labels_ = np.asarray(best.labels)
        self.n_clusters_ = best.n_clusters
        self.choice_rule_ = CHOICE_RULE
        for candidate in self.candidates_:  # keep only the winner's fitted pipeline
            if candidate is not best:
                candidate.model = None
                candidate.labels = None

    # ------------------------------------------------------------- results
    def _scan(self, algorithm: str, attr: str) -> tuple[list[int], list[float]]:
        rows = [
            c
            for c in self.candidates_
            if c.algorithm == algorithm
            and c.status == "ok"
            and c.params == get_family(algorithm).default_params()
            and c.scaling == REFERENCE_SCALING
            and c.reduction == "none"
            and getattr(c, attr) is not None
        ]
        rows.sort(key=lambda c: c.k or 0)
        return [int(c.k or 0) for c in rows], [float(getattr(c, attr)) for c in rows]

    def elbow_k(self) -> int | None:
        """k at the elbow of the k-means inertia curve (None with fewer than three k)."""
        return elbow(*self._scan("kmeans", "inertia"))

    def bic_k(self) -> int | None:
        """k with the lowest Gaussian-mixture BIC."""
        ks, values = self._scan("gaussian_mixture", "bic")
        return ks[int(np.argmin(values))] if ks else None

    def k_selection(self) -> dict[str, Any]:
        """The k scan shown with the result: inertia and BIC by k, their picks and the rule."""
        ks, inertia = self._scan("kmeans", "inertia")
        bks, bic = self._scan("gaussian_mixture", "bic")
        return {
            "mode": "auto" if self.n_clusters_requested_ is None else "fixed",
            "k_values": list(self.k_values_),
            "inertia": {"k": ks, "value": inertia},
            "bic": {"k": bks, "value": bic},
            "elbow_k": self.elbow_k(),
            "bic_k": self.bic_k(),
            "chosen_k": self.n_clusters_,
            "rule": self.choice_rule_,
        }

    def leaderboard(self) -> pd.DataFrame:
        """One row per candidate, best first (failed and skipped candidates last)."""
        rows = [c.row() for c in self.candidates_]
        frame = pd.DataFrame(rows)
        frame["params"] = frame["params"].map(
            lambda p: ", ".join(f"{k}={v}" for k, v in p.items())
        )
        frame = frame.sort_values(
            ["mean_rank", "silhouette", "number"],
            ascending=[True, False, True],
            na_position="last",
        ).reset_index(drop=True)
        frame.insert(0, "rank", range(1, len(frame) + 1))
        return frame

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Cluster labels of new rows with the chosen pipeline."""
        return np.asarray(self.model_.predict(feature_frame(df, self.feature_columns_)))

    def label_scores(self) -> dict[str, float] | None:
        if self._truth is None:
            return None
        return label_scores(self._truth, self.labels_)


def feature_frame(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The clustering's input columns of ``df``; SchemaError naming any missing one."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"predictions need a pandas DataFrame, got {type(df).__name__}")
    df = df.set_axis([str(c) for c in df.columns], axis=1)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"the table lacks the column(s) the clustering uses: {', '.join(missing)}"
        )
    return df[list(columns)]
