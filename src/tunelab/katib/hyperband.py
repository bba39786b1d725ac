"""Hyperband over the ``resource_name`` parameter (Li et al. 2018), as Katib configures it.

With ``s_max = floor(log(r_l) / log(eta))`` and ``B = (s_max + 1) * r_l``, bracket ``s``
(from ``s_max`` down to 0) starts ``n = ceil(B / r_l * eta**s / (s + 1))`` random
configurations at resource ``r = r_l * eta**-s``; rung ``i`` runs ``floor(n * eta**-i)``
configurations at ``r * eta**i`` and promotes the best ``floor(n_i / eta)`` (by the
objective; trials without one never get promoted). Each trial runs with its rung's
resource value as the resource parameter (rounded for ``int``). A rung waits for the
previous one; brackets run one after the other. Trials carry ``hyperband.bracket``,
``hyperband.rung`` and ``hyperband.config`` labels, so resume rebuilds the state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from tunelab.katib.algorithms import hyperband_settings
from tunelab.katib.metrics import objective_value
from tunelab.katib.results import TrialResult
from tunelab.katib.space import parse_value, to_distribution
from tunelab.katib.spec import ExperimentSpec
from tunelab.katib.suggest import END, WAIT, Suggestion

BRACKET, RUNG, CONFIG = "hyperband.bracket", "hyperband.rung", "hyperband.config"


def hyperband_plan(r_l: float, eta: float) -> list[list[tuple[int, float]]]:
    """Brackets (largest s first), each a list of rungs ``(n_configs, resource)``."""
    s_max = math.floor(math.log(r_l) / math.log(eta) + 1e-9)
    budget = (s_max + 1) * r_l
    plan = []
    for s in range(s_max, -1, -1):
        n = math.ceil(budget / r_l * eta**s / (s + 1))
        r = r_l * eta ** (-s)
        plan.append([(math.floor(n * eta ** (-i) + 1e-9), r * eta**i) for i in range(s + 1)])
    return plan


class HyperbandSuggester:
    def __init__(self, spec: ExperimentSpec) -> None:
        self.spec = spec
        r_l, self.eta, self.resource = hyperband_settings(spec)
        self.plan = hyperband_plan(r_l, self.eta)
        self.distributions: dict[str, BaseDistribution] = {
            p.name: to_distribution(p) for p in spec.parameters if p.name != self.resource
        }

    def add_rerun(self, trial: TrialResult) -> None:
        """Interrupted trials are simply re-planned: their rung slot is still open."""

    def _resource_value(self, resource: float) -> Any:
        if self.spec.parameter(self.resource).parameter_type == "int":
            return max(1, round(resource))
        return float(resource)

    def suggest(
        self,
        study: optuna.Study,
        finished: Sequence[TrialResult],
        running: Sequence[dict[str, str]],
    ) -> Suggestion | str:
        for s, rungs in enumerate(self.plan):
            for i, (n_i, resource) in enumerate(rungs):
                key = (str(s), str(i))
                done = [t for t in finished if (t.labels.get(BRACKET), t.labels.get(RUNG)) == key]
                busy = [lab for lab in running if (lab.get(BRACKET), lab.get(RUNG)) == key]
                issued = {t.labels.get(CONFIG) for t in done} | {b.get(CONFIG) for b in busy}
                candidates = self._promotable(finished, s, i) if i > 0 else None
                target = n_i if candidates is None else min(n_i, len(candidates))
                if len(done) + len(busy) < target:
                    labels = {BRACKET: str(s), RUNG: str(i)}
                    value = self._resource_value(resource)
                    if candidates is None:
                        trial = study.ask(self.distributions)
                        labels[CONFIG] = f"{s}-{trial.number}"
                        return Suggestion(trial, {**trial.params, self.resource: value}, labels)
                    config, params = next(c for c in candidates if c[0] not in issued)
                    study.enqueue_trial(params)
                    trial = study.ask(self.distributions)
                    labels[CONFIG] = config
                    return Suggestion(trial, {**trial.params, self.resource: value}, labels)
                if busy:
                    return WAIT
                if target == 0:
                    break  # nothing survived: the bracket ends early
        return END

    def _promotable(
        self, finished: Sequence[TrialResult], s: int, i: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """Configurations of rung ``i - 1`` ranked by objective, the top ``n_{i-1} / eta``."""
        previous = [
            t
            for t in finished
            if t.labels.get(BRACKET) == str(s) and t.labels.get(RUNG) == str(i - 1)
        ]
        objective = self.spec.objective
        scored = [(objective_value(objective, t.metrics), t) for t in previous]
        ranked = sorted(
            ((v, t) for v, t in scored if v is not None),
            key=lambda item: item[0],
            reverse=objective.maximize,
        )
        keep = math.floor(self.plan[s][i - 1][0] / self.eta + 1e-9)
        out = []
        for _, trial in ranked[:keep]:
            params = {
                k: parse_value(self.spec.parameter(k), v)
                for k, v in trial.assignments
                if k != self.resource
            }
            out.append((trial.labels[CONFIG], params))
        return out
