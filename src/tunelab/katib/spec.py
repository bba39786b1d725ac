"""Frozen dataclasses for a Katib v1beta1 ``Experiment`` (only what a local run needs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunelab.entities import ConfigError

MINIMIZE = "minimize"
MAXIMIZE = "maximize"
DEFAULT_PARALLEL_TRIAL_COUNT = 3
DEFAULT_METRICS_FILE = "/var/log/katib/metrics.log"
UNAVAILABLE = "unavailable"
# Katib's default metric regex for StdOut and File/TEXT collectors.
DEFAULT_METRICS_FORMAT = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"
JOB_SUCCESS_CONDITION = 'status.conditions.#(type=="Complete")#|#(status=="True")#'
JOB_FAILURE_CONDITION = 'status.conditions.#(type=="Failed")#|#(status=="True")#'


class KatibSpecError(ConfigError):
    """An Experiment spec is invalid; ``errors`` lists every ``field.path: message``."""

    def __init__(self, errors: list[str] | tuple[str, ...]) -> None:
        self.errors = tuple(errors)
        super().__init__("invalid Katib Experiment:\n  " + "\n  ".join(self.errors))


@dataclass(frozen=True)
class MetricStrategy:
    name: str
    value: str  # min | max | latest


@dataclass(frozen=True)
class Objective:
    type: str
    objective_metric_name: str
    goal: float | None = None
    additional_metric_names: tuple[str, ...] = ()
    metric_strategies: tuple[MetricStrategy, ...] = ()

    @property
    def metric_names(self) -> tuple[str, ...]:
        return (self.objective_metric_name, *self.additional_metric_names)

    @property
    def maximize(self) -> bool:
        return self.type == MAXIMIZE

    def strategy(self, name: str) -> str:
        """The strategy of a metric; Katib's default follows the objective type."""
        for item in self.metric_strategies:
            if item.name == name:
                return item.value
        return "max" if self.maximize else "min"


@dataclass(frozen=True)
class AlgorithmSpec:
    algorithm_name: str
    algorithm_settings: tuple[tuple[str, str], ...] = ()

    def setting(self, name: str) -> str | None:
        for key, value in self.algorithm_settings:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class FeasibleSpace:
    min: str | None = None
    max: str | None = None
    step: str | None = None
    list: tuple[str, ...] = ()
    distribution: str = "uniform"


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    parameter_type: str  # int | double | discrete | categorical
    feasible_space: FeasibleSpace


@dataclass(frozen=True)
class TrialParameterSpec:
    name: str
    reference: str
    description: str = ""


@dataclass(frozen=True)
class TrialTemplate:
    primary_container_name: str
    trial_parameters: tuple[TrialParameterSpec, ...]
    trial_spec: dict[str, Any] | None
    config_map: dict[str, Any] | None = None
    retain: bool = False
    success_condition: str = JOB_SUCCESS_CONDITION
    failure_condition: str = JOB_FAILURE_CONDITION
    primary_pod_labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricsCollectorSpec:
    kind: str = "StdOut"
    metrics_format: tuple[str, ...] = ()
    file_path: str | None = None
    file_kind: str | None = None  # File | Directory
    file_format: str | None = None  # TEXT | JSON

    @property
    def regexes(self) -> tuple[str, ...]:
        return self.metrics_format or (DEFAULT_METRICS_FORMAT,)


@dataclass(frozen=True)
class ExperimentSpec:
    """A parsed, validated Experiment; ``raw`` keeps the original document."""

    name: str
    namespace: str
    objective: Objective
    algorithm: AlgorithmSpec
    parameters: tuple[ParameterSpec, ...]
    trial_template: TrialTemplate
    early_stopping: AlgorithmSpec | None = None
    parallel_trial_count: int = DEFAULT_PARALLEL_TRIAL_COUNT
    max_trial_count: int | None = None
    max_failed_trial_count: int | None = None
    metrics_collector: MetricsCollectorSpec = field(default_factory=MetricsCollectorSpec)
    resume_policy: str = "Never"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def parameter(self, name: str) -> ParameterSpec:
        for param in self.parameters:
            if param.name == name:
                return param
        raise KeyError(name)
