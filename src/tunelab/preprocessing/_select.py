"""Feature selectors: univariate tests, a compact Boruta, and a variance filter."""

import math
import warnings
from typing import Any

import numpy as np
from scipy.stats import binom
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_selection import SelectorMixin, VarianceThreshold, f_classif, f_regression
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from tunelab.entities import ConfigError

UNIVARIATE_MODES = ("percentile", "kbest", "fwe")


def _is_classification(task: str) -> bool:
    return task in ("binary", "multiclass")


class UnivariateSelector(SelectorMixin, BaseEstimator):
    """Keep features by an F-test against the target (f_classif or f_regression by task).

    ``mode="percentile"`` keeps the best ``percentile`` % (default 50), ``"kbest"`` the
    ``k`` best (default 20, capped at the number of features), ``"fwe"`` those with a
    p-value below ``alpha / n_features`` (default alpha 0.05). At least the single best
    feature is always kept so downstream models never receive an empty matrix.
    """

    def __init__(
        self,
        mode: str = "percentile",
        task: str = "regression",
        percentile: float = 50.0,
        k: int = 20,
        alpha: float = 0.05,
    ) -> None:
        self.mode = mode
        self.task = task
        self.percentile = percentile
        self.k = k
        self.alpha = alpha

    def fit(self, X: Any, y: Any) -> "UnivariateSelector":
        if self.mode not in UNIVARIATE_MODES:
            raise ValueError(f"mode must be one of {UNIVARIATE_MODES}, got {self.mode!r}")
        data, target = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        score_func = f_classif if _is_classification(self.task) else f_regression
        if not _is_classification(self.task):
            target = np.asarray(target, dtype=np.float64)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            scores, pvalues = score_func(data, target)
        self.scores_ = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0, posinf=1e300)
        self.pvalues_ = np.nan_to_num(np.asarray(pvalues, dtype=float), nan=1.0)
        n = data.shape[1]
        order = np.argsort(-self.scores_, kind="stable")
        mask = np.zeros(n, dtype=bool)
        if self.mode == "percentile":
            mask[order[: max(1, math.ceil(n * self.percentile / 100.0))]] = True
        elif self.mode == "kbest":
            mask[order[: max(1, min(self.k, n))]] = True
        else:
            mask = self.pvalues_ < self.alpha / n
            mask[order[0]] = True
        self.support_ = mask
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_)


class BorutaSelector(SelectorMixin, BaseEstimator):
    """All-relevant feature selection (Boruta) with a random forest and shadow features.

    Each round appends a column-wise shuffled copy ("shadow") of every undecided feature,
    fits a random forest and records a hit for each real feature whose importance beats
    the best shadow. A two-sided binomial test (Bonferroni-corrected ``alpha``) confirms or
    rejects features; after ``max_iter`` rounds the still tentative features are kept when
    they won more than half of their rounds. At least the feature with the most hits is
    kept. NaN is allowed (the random forests handle it).
    """

    def __init__(
        self,
        task: str = "regression",
        n_estimators: int = 50,
        max_depth: int | None = 7,
        max_iter: int = 20,
        alpha: float = 0.05,
        random_state: int = 0,
        n_jobs: int | None = 1,
    ) -> None:
        self.task = task
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_iter = max_iter
        self.alpha = alpha
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _forest(self, seed: int) -> RandomForestClassifier | RandomForestRegressor:
        cls = RandomForestClassifier if _is_classification(self.task) else RandomForestRegressor
        return cls(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            random_state=seed,
            n_jobs=self.n_jobs,
        )

    def fit(self, X: Any, y: Any) -> "BorutaSelector":
        data, target = validate_data(
            self, X, y, dtype=np.float64, ensure_all_finite="allow-nan", y_numeric=False
        )
        if not _is_classification(self.task):
            target = np.asarray(target, dtype=np.float64)
        rng = check_random_state(self.random_state)
        n = data.shape[1]
        status = np.zeros(n, dtype=int)  # 0 tentative, 1 confirmed, -1 rejected
        hits = np.zeros(n)
        rounds = np.zeros(n)
        threshold = self.alpha / n
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            active = np.flatnonzero(status >= 0)
            if not (status[active] == 0).any():
                break
            real = data[:, active]
            shadow = np.column_stack([rng.permutation(real[:, j]) for j in range(len(active))])
            self.n_iter_ += 1
            forest = self._forest(int(rng.randint(0, 2**31 - 1)))
            forest.fit(np.hstack([real, shadow]), target)
            importance = forest.feature_importances_
            best_shadow = importance[len(active) :].max()
            undecided = active[status[active] == 0]
            won = importance[: len(active)] > best_shadow
            hits[active[won]] += 1
            rounds[undecided] += 1
            for j in undecided:
                if binom.sf(hits[j] - 1, rounds[j], 0.5) < threshold:
                    status[j] = 1
                elif binom.cdf(hits[j], rounds[j], 0.5) < threshold:
                    status[j] = -1
        with np.errstate(invalid="ignore"):
            tentative_kept = (status == 0) & (hits > rounds / 2)
        support = (status == 1) | tentative_kept
        if not support.any():
            support[int(np.argmax(hits))] = True
        self.hits_ = hits
        self.status_ = status
        self.support_ = support
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class VarianceFilter(VarianceThreshold):
    """:class:`~sklearn.feature_selection.VarianceThreshold` that raises a ConfigError
    naming the setting when no feature passes the threshold."""

    def fit(self, X: Any, y: Any = None) -> "VarianceFilter":
        try:
            super().fit(X, y)
        except ValueError as exc:
            if "threshold" not in str(exc):
                raise
            raise ConfigError(
                f"variance_threshold={self.threshold} removes every feature ({exc})"
            ) from exc
        return self
