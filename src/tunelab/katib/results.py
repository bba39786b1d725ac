"""Trial and experiment results, the optimal trial, and ``experiment.json`` I/O."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.katib.metrics import MetricSummary, objective_value
from tunelab.katib.spec import Objective

RUNNING = "Running"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
KILLED = "Killed"
EARLY_STOPPED = "EarlyStopped"
METRICS_UNAVAILABLE = "MetricsUnavailable"
FINISHED = (SUCCEEDED, FAILED, KILLED, EARLY_STOPPED, METRICS_UNAVAILABLE)

GOAL_REACHED = "ExperimentGoalReached"
MAX_TRIALS_REACHED = "ExperimentMaxTrialsReached"
MAX_FAILED_REACHED = "ExperimentMaxFailedTrialsReached"
SUGGESTION_END_REACHED = "ExperimentSuggestionEndReached"


@dataclass(frozen=True)
class Condition:
    type: str  # Running | Succeeded | Failed
    reason: str
    message: str


@dataclass(frozen=True)
class TrialResult:
    name: str
    number: int
    assignments: tuple[tuple[str, str], ...]
    metrics: tuple[MetricSummary, ...]
    condition: str
    reason: str = ""
    message: str = ""
    start_time: str = ""
    end_time: str = ""
    exit_code: int | None = None
    command: tuple[str, ...] = ()
    image: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    objective_values: tuple[float, ...] = ()  # every objective observation, in order

    @property
    def params(self) -> dict[str, str]:
        return dict(self.assignments)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "number": self.number,
            "parameterAssignments": [{"name": k, "value": v} for k, v in self.assignments],
            "metrics": [m.to_json() for m in self.metrics],
            "condition": self.condition,
            "reason": self.reason,
            "message": self.message,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "exitCode": self.exit_code,
            "command": list(self.command),
            "image": self.image,
            "labels": dict(self.labels),
            "objectiveHistory": list(self.objective_values),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrialResult:
        return cls(
            name=data["name"],
            number=int(data["number"]),
            assignments=tuple((a["name"], a["value"]) for a in data["parameterAssignments"]),
            metrics=tuple(MetricSummary.from_json(m) for m in data["metrics"]),
            condition=data["condition"],
            reason=data.get("reason", ""),
            message=data.get("message", ""),
            start_time=data.get("startTime", ""),
            end_time=data.get("endTime", ""),
            exit_code=data.get("exitCode"),
            command=tuple(data.get("command", ())),
            image=data.get("image", ""),
            labels=dict(data.get("labels", {})),
            objective_values=tuple(float(v) for v in data.get("objectiveHistory", ())),
        )


@dataclass(frozen=True)
class OptimalTrial:
    best_trial_name: str
    parameter_assignments: tuple[tuple[str, str], ...]
    metrics: tuple[MetricSummary, ...]
    value: float

    def to_json(self) -> dict[str, Any]:
        return {
            "bestTrialName": self.best_trial_name,
            "parameterAssignments": [
                {"name": k, "value": v} for k, v in self.parameter_assignments
            ],
            "observation": {"metrics": [m.to_json() for m in self.metrics]},
        }


@dataclass(frozen=True)
class ExperimentResult:
    name: str
    condition: Condition
    trials: tuple[TrialResult, ...]
    optimal: OptimalTrial | None
    out_dir: Path
    notes: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.condition.type == SUCCEEDED

    def count(self, *conditions: str) -> int:
        return sum(t.condition in conditions for t in self.trials)


def optimal_trial(objective: Objective, trials: Iterable[TrialResult]) -> OptimalTrial | None:
    """Best trial with a parseable objective (early-stopped and killed ones included)."""
    best: OptimalTrial | None = None
    for trial in trials:
        value = objective_value(objective, trial.metrics)
        if value is None:
            continue
        better = best is None or (value > best.value if objective.maximize else value < best.value)
        if better:
            best = OptimalTrial(trial.name, trial.assignments, trial.metrics, value)
    return best


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temporary file in the same folder, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".experiment-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def experiment_document(
    *,
    name: str,
    spec_summary: dict[str, Any],
    fingerprint: str,
    condition: Condition,
    trials: Iterable[TrialResult],
    optimal: OptimalTrial | None,
    notes: Iterable[str],
) -> dict[str, Any]:
    return {
        "name": name,
        "spec": spec_summary,
        "specFingerprint": fingerprint,
        "condition": {
            "type": condition.type,
            "reason": condition.reason,
            "message": condition.message,
        },
        "trials": [t.to_json() for t in trials],
        "currentOptimalTrial": optimal.to_json() if optimal else None,
        "notes": list(notes),
    }
