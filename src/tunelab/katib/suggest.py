"""Where the next trial's parameters come from: an Optuna sampler via ask/tell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution

from tunelab.katib.results import TrialResult
from tunelab.katib.space import grid_size, grid_values, parse_value, to_distribution
from tunelab.katib.spec import ExperimentSpec

WAIT = "wait"  # nothing to start until a running trial finishes
END = "end"  # the algorithm has nothing more to suggest


@dataclass
class Suggestion:
    trial: optuna.trial.Trial
    values: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)


class SamplerSuggester:
    """Asks the study's sampler; for grid, ends once every grid point was issued."""

    def __init__(self, spec: ExperimentSpec) -> None:
        self.spec = spec
        self.grid = spec.algorithm.algorithm_name == "grid"
        self.distributions: dict[str, BaseDistribution] = {
            p.name: CategoricalDistribution(grid_values(p)) if self.grid else to_distribution(p)
            for p in spec.parameters
        }
        self.limit = grid_size(spec.parameters) if self.grid else None
        self.reruns: list[dict[str, Any]] = []

    def add_rerun(self, trial: TrialResult) -> None:
        """Re-run a trial interrupted mid-way with the same parameter assignments."""
        values = {k: parse_value(self.spec.parameter(k), v) for k, v in trial.assignments}
        self.reruns.append(values)

    def suggest(
        self,
        study: optuna.Study,
        finished: Sequence[TrialResult],
        running: Sequence[dict[str, str]],
    ) -> Suggestion | str:
        if self.reruns:
            study.enqueue_trial(self.reruns.pop(0))
        elif self.limit is not None and len(finished) + len(running) >= self.limit:
            return END
        trial = study.ask(self.distributions)
        return Suggestion(trial, dict(trial.params))
