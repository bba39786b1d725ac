"""``tune``: the local Katib engine for a Python objective function."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from tunelab.entities import ConfigError
from tunelab.katib.algorithms import make_sampler
from tunelab.katib.executor import FunctionExecutor
from tunelab.katib.experiment import open_study
from tunelab.katib.export import experiment_document
from tunelab.katib.parse import parse_experiment
from tunelab.katib.persist import ExperimentStore
from tunelab.katib.results import SUCCEEDED, ExperimentResult
from tunelab.katib.runner import ExperimentRunner
from tunelab.katib.search import SearchSpec


@dataclass(frozen=True)
class TuneResult:
    """Outcome of :func:`tune`. ``best_params`` holds typed values (None if no trial had a
    value); ``experiment`` has every trial with Katib conditions and metrics."""

    best_params: dict[str, Any] | None
    best_value: float | None
    experiment: ExperimentResult
    study: optuna.Study

    @property
    def trials(self) -> int:
        return len(self.experiment.trials)


def tune(
    objective: Callable[[dict[str, Any]], float | Mapping[str, float]],
    space: Mapping[str, SearchSpec],
    *,
    metric: str,
    direction: str = "maximize",
    algorithm: str = "tpe",
    max_trials: int = 20,
    parallel_trials: int = 1,
    goal: float | None = None,
    timeout: float | None = None,
    seed: int | None = None,
    storage: str | optuna.storages.BaseStorage | None = None,
    study_name: str | None = None,
) -> TuneResult:
    """Tune ``objective(params)`` with the same engine as ``tunelab tune``.

    ``objective`` returns the metric value or a dict of metrics (it must contain
    ``metric``); an exception makes the trial Failed. Trials run in ``parallel_trials``
    threads. ``goal`` ends the search early once reached; ``timeout`` (seconds) stops
    starting new trials. ``storage`` (an Optuna storage or URL) keeps the study.
    """
    name = re.sub(r"[^a-z0-9-]+", "-", (study_name or "tune").lower()).strip("-") or "tune"
    if not name[0].isalpha():
        name = f"tune-{name}"
    settings = {"random_state": seed} if seed is not None else None
    doc = experiment_document(
        space,
        name=name,
        objective_command=["python-function"],
        metric=metric,
        direction=direction,
        algorithm=algorithm,
        algorithm_settings=settings,
        max_trials=max_trials,
        parallel_trials=parallel_trials,
        goal=goal,
    )
    spec = parse_experiment(doc)
    if algorithm == "hyperband":
        raise ConfigError("algorithm: hyperband needs a resource parameter; use tunelab tune")
    sampler, notes = make_sampler(spec)
    study = open_study(spec, storage, sampler, study_name=study_name, resume=storage is not None)

    def decoded(params: dict[str, Any]) -> Any:
        return objective({k: space[k].decode(v) for k, v in params.items()})

    with tempfile.TemporaryDirectory(prefix="tunelab-tune-") as tmp:
        runner = ExperimentRunner(
            spec,
            executor=FunctionExecutor(decoded, metric),
            workdir=Path(tmp),
            store=ExperimentStore(spec, None),
            notes=notes,
            deadline=None if timeout is None else time.monotonic() + timeout,
        )
        result = runner.run(study, [])
    best = result.optimal
    best_params = None
    if best is not None:
        best_params = {}
        for key, value in best.parameter_assignments:
            best_params[key] = space[key].decode(_typed(spec, key, value))
    if best is None and not any(t.condition == SUCCEEDED for t in result.trials):
        notes.append("no trial produced the objective metric")
    return TuneResult(best_params, best.value if best else None, result, study)


def _typed(spec: Any, name: str, value: str) -> Any:
    from tunelab.katib.space import parse_value

    return parse_value(spec.parameter(name), value)
