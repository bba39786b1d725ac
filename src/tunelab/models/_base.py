"""The two value objects of the models layer: what a family needs to know, and what it offers.

A :class:`ModelSpec` describes one model family (``"lightgbm"``, ``"svc"``, ...): how to build
an estimator from hyperparameters, where to search them, strong defaults, a cheap start, a
small portfolio of proven configurations, and how to fit with early stopping. Each family is a
small subclass living in its own module; the registry (``_registry.py``) lists them explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from optuna.distributions import BaseDistribution
from sklearn.base import BaseEstimator

from tunelab.entities import ConfigError, TaskType

Params = dict[str, Any]
Space = dict[str, BaseDistribution]

# Boosted leaves whose Newton step -G / H has H near 0: for a class whose prior is tiny (a
# few rows among thousands) every leaf's H is, and LightGBM and scikit-learn's histogram
# boosting (no penalty by default) then move that class's logit by hundreds in one round:
# rows of other classes become certain of the rare class, and log-loss ends worse than the
# class priors'. Two bounds, each its library's documented remedy:
# - STEP_L2: an L2 penalty on leaf values, -G / (H + lambda) (XGBoost's default lambda);
# - MAX_LEAF_STEP: a cap on a leaf's value before shrinkage (XGBoost's documentation
#   suggests 1-10 "when class is extremely imbalanced"; 5 is mid-range). It leaves
#   well-posed leaves alone, where an L2 penalty of 1 also slows them (LightGBM then needed
#   2-9x the rounds on small tables, and its first trial no longer fit short budgets).
STEP_L2 = 1.0
MAX_LEAF_STEP = 5.0


@dataclass(frozen=True)
class ModelContext:
    """What a family needs to know about the data it will be fitted on.

    ``n_rows``/``n_features`` describe the training matrix after preprocessing (rough values are
    fine: they only scale search ranges and defaults).
    """

    task: TaskType
    n_rows: int
    n_features: int
    n_classes: int
    n_jobs: int = 1
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.n_rows < 1:
            raise ConfigError(f"ModelContext.n_rows must be >= 1, got {self.n_rows}")
        if self.n_features < 1:
            raise ConfigError(f"ModelContext.n_features must be >= 1, got {self.n_features}")
        if self.task.is_classification and self.n_classes < 2:
            raise ConfigError(
                f"ModelContext.n_classes must be >= 2 for {self.task.value}, got {self.n_classes}"
            )
        if self.n_jobs == 0:
            raise ConfigError("ModelContext.n_jobs must not be 0 (use -1 for all cores)")


@dataclass(frozen=True)
class ModelSpec:
    """One model family: factory, search space, defaults, portfolio and fitting routine.

    Subclasses implement :meth:`_build` and usually override :meth:`search_space`,
    :meth:`default_params`, :meth:`cheap_params` and :meth:`portfolio`. Families that stop
    early on validation data override :meth:`fit` and :meth:`best_iteration` and set
    ``rounds_param`` to the name of their number-of-rounds hyperparameter.

    Attributes:
        name: what users type in ``--algorithms`` (``"lightgbm"``).
        label: display name (``"LightGBM"``).
        tasks: the tasks the family supports.
        flavor: preprocessing it wants: ``"tree"`` (NaN kept, ordinal codes), ``"linear"``
            (imputed, standardised, one-hot) or ``"embed"`` (linear, categories as codes).
        cost: relative fit cost, LightGBM with its defaults = 1.0 (rough but ordered).
        max_rows: above this many training rows the family is too slow (None: no limit).
    """

    name: str
    label: str
    tasks: frozenset[TaskType]
    flavor: str
    cost: float
    max_rows: int | None = None

    rounds_param: ClassVar[str | None] = None

    # ---- building -------------------------------------------------------------------------
    def make(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        """Build an unfitted estimator: ``default_params(ctx)`` updated with ``params``.

        Runtime settings (``n_jobs``, ``random_state``, silenced logging) come from ``ctx`` and
        are not hyperparameters. Raises ConfigError when the family does not support
        ``ctx.task``.
        """
        self._check_task(ctx.task)
        return self._build({**self.default_params(ctx), **params}, ctx)

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        raise NotImplementedError

    def supports(self, task: TaskType) -> bool:
        return task in self.tasks

    def _check_task(self, task: TaskType) -> None:
        if task not in self.tasks:
            known = ", ".join(sorted(t.value for t in self.tasks))
            raise ConfigError(
                f"algorithm {self.name!r} does not support task {task.value!r} (supports: {known})"
            )

    # ---- hyperparameters ------------------------------------------------------------------
    def search_space(self, ctx: ModelContext) -> Space:
        """Optuna distributions of the hyperparameters worth tuning (may be empty)."""
        return {}

    def default_params(self, ctx: ModelContext) -> Params:
        """Strong defaults; ``make`` starts from these."""
        return {}

    def cheap_params(self, ctx: ModelContext) -> Params:
        """A fast, usable configuration (first trial under a tight budget)."""
        return {}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        """A few strong, diverse configurations, best first (overrides of the defaults)."""
        return []

    # ---- fitting --------------------------------------------------------------------------
    def fit(
        self,
        estimator: Any,
        X: Any,
        y: Any,
        X_valid: Any = None,
        y_valid: Any = None,
        *,
        deadline: float | None = None,
    ) -> Any:
        """Fit ``estimator``; families with early stopping use the validation data for it.

        ``deadline`` (a ``time.monotonic()`` instant) lets boosting families stop adding rounds
        when time runs out, keeping what they trained; other families ignore it.
        """
        check_valid_pair(X_valid, y_valid)
        estimator.fit(X, y)
        return estimator

    def best_iteration(self, estimator: Any) -> int | None:
        """Number of boosting rounds that scored best on the validation data, if known."""
        return None

    def refit_params(self, params: Params, estimator: Any) -> Params:
        """``params`` with the number of rounds fixed to the early-stopped best, for a refit.

        Use these to refit on all rows without validation data: without validation data a
        boosting family trains exactly ``n_estimators``/``iterations`` rounds.
        """
        best = self.best_iteration(estimator)
        if best is None or self.rounds_param is None:
            return dict(params)
        return {**params, self.rounds_param: max(1, best)}


def check_valid_pair(X_valid: Any, y_valid: Any) -> None:
    if (X_valid is None) != (y_valid is None):
        raise ConfigError("fit needs both X_valid and y_valid, or neither")


def early_stopping_rounds(learning_rate: float) -> int:
    """Patience for early stopping: ~10 / learning_rate rounds, between 50 and 200."""
    return int(np.clip(round(10.0 / max(learning_rate, 1e-6)), 50, 200))


def scaled_int(n_rows: int, fraction: float, low: int, high: int) -> int:
    """``n_rows * fraction`` clipped to ``[low, high]`` — for ranges that grow with the data."""
    return int(np.clip(int(n_rows * fraction), low, high))


CLASSIFICATION = frozenset({TaskType.BINARY, TaskType.MULTICLASS})
REGRESSION = frozenset({TaskType.REGRESSION})
ALL_TASKS = CLASSIFICATION | REGRESSION
