"""Katib's ``medianstop`` early stopping, with its quirk.

Katib takes, for every Succeeded trial, the mean of the first ``start_step`` objective
values, then the **mean** of those means (not their median), once at least
``min_trials_required`` trials succeeded. A running trial that has reported at least
``start_step`` objective values is stopped as soon as its latest value is worse than that
threshold (below it when maximizing, above it when minimizing). Unlike Katib, which fixes
the rule when the trial is created, the threshold here is refreshed whenever a trial
finishes, so trials started early are also watched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from statistics import fmean

from tunelab.katib.spec import AlgorithmSpec

DEFAULT_MIN_TRIALS_REQUIRED = 3
DEFAULT_START_STEP = 4


class MedianStop:
    def __init__(self, maximize: bool, min_trials_required: int, start_step: int) -> None:
        self.maximize = maximize
        self.min_trials_required = min_trials_required
        self.start_step = start_step
        self.threshold: float | None = None

    @classmethod
    def from_spec(cls, spec: AlgorithmSpec, maximize: bool) -> MedianStop:
        trials = spec.setting("min_trials_required")
        step = spec.setting("start_step")
        return cls(
            maximize,
            int(trials) if trials else DEFAULT_MIN_TRIALS_REQUIRED,
            int(step) if step else DEFAULT_START_STEP,
        )

    def update(self, succeeded_histories: Iterable[Sequence[float]]) -> None:
        """Recompute the threshold from the objective histories of Succeeded trials."""
        means = [fmean(h[: self.start_step]) for h in succeeded_histories if h]
        self.threshold = fmean(means) if len(means) >= self.min_trials_required else None

    def should_stop(self, values: Sequence[float]) -> bool:
        threshold = self.threshold
        if threshold is None or len(values) < self.start_step:
            return False
        latest = values[-1]
        return latest < threshold if self.maximize else latest > threshold
