"""Budgets, data splits and sampling for a search."""

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class SearchBudget:
    """Hard limits of one search.

    Attributes:
        time_budget: total wall-clock seconds for the whole fit (search, ensemble, refit).
        trial_timeout: seconds after which one trial is killed; None derives it from the budget.
        max_trials: stop after this many trials (with a seed, two runs give one leaderboard).
        early_stopping_rounds: stop after this many finished trials without improvement.
    """

    time_budget: float | None = 60.0
    trial_timeout: float | None = None
    max_trials: int | None = None
    early_stopping_rounds: int | None = None


class SplitKind(StrEnum):
    HOLDOUT = "holdout"
    CV = "cv"
    REPEATED_CV = "repeated_cv"
    GROUP = "group"
    TIME = "time"


@dataclass(frozen=True)
class SplitConfig:
    """How rows are divided. The test part is held out first and never used to choose.

    ``ratios`` are (train, valid, test) for holdout, and ``test_ratio`` is used by the CV kinds.
    ``column`` names the group column (GROUP), the ordering column (TIME), or, with
    ``column_ranges``, the column whose value ranges define train/valid/test for HOLDOUT.
    """

    kind: SplitKind = SplitKind.CV
    folds: int = 5
    repeats: int = 1
    ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)
    test_ratio: float = 0.2
    column: str | None = None
    column_ranges: tuple[tuple[float, float], tuple[float, float], tuple[float, float]] | None = (
        None
    )
    stratify: bool = True
    shuffle: bool = True


@dataclass(frozen=True)
class SamplingConfig:
    """Row sampling applied to the training part only.

    ``ratio``/``size`` subsample; ``balance_to`` resamples every class to that class's count
    (a class label, or "minority"/"majority"); ``smote`` oversamples minority classes.
    A ``size`` above the training rows adds synthetic rows drawn by ``synthesizer``
    ("copula": a Gaussian copula fitted on each training part, per class for
    classification; "ctgan": a CTGAN-style GAN, likewise; "none": no synthetic rows).
    """

    ratio: float | None = None
    size: int | None = None
    balance_to: str | None = None
    smote: bool = False
    synthesizer: str = "copula"
