"""Write a tunelab search as a cluster-ready Katib v1beta1 Experiment.

The trial is a ``batch/v1`` Job whose container runs ``objective_command`` followed by one
``--<name>=${trialParameters.<name>}`` argument per parameter; the script must print
``<metric>=<value>`` lines (StdOut collector). The result parses back with
:func:`tunelab.katib.load_experiment` and runs locally with ``tunelab tune``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tunelab.entities import ConfigError
from tunelab.katib.parse import parse_experiment
from tunelab.katib.search import SearchSpec

DEFAULT_IMAGE = "docker.io/library/python:3.11-slim"
CONTAINER = "training-container"


def experiment_document(
    space: Mapping[str, SearchSpec],
    *,
    name: str,
    objective_command: str | Sequence[str],
    metric: str,
    direction: str = "maximize",
    algorithm: str = "tpe",
    algorithm_settings: Mapping[str, Any] | None = None,
    max_trials: int = 20,
    parallel_trials: int = 1,
    max_failed_trials: int | None = None,
    goal: float | None = None,
    additional_metrics: Sequence[str] = (),
    image: str = DEFAULT_IMAGE,
    namespace: str | None = None,
    trial_timeout: int | None = None,
) -> dict[str, Any]:
    """The Experiment as a dict (see module docstring)."""
    if not space:
        raise ConfigError("space: at least one parameter is required")
    if direction not in ("maximize", "minimize"):
        raise ConfigError(f"direction: must be maximize or minimize, got {direction!r}")
    command = (
        shlex.split(objective_command)
        if isinstance(objective_command, str)
        else list(objective_command)
    )
    if not command:
        raise ConfigError("objective_command: must not be empty")
    for pname in space:
        if not re.fullmatch(r"[A-Za-z_][\w.-]*", pname):
            raise ConfigError(f"space.{pname}: parameter names must be identifiers")
    objective: dict[str, Any] = {"type": direction, "objectiveMetricName": metric}
    if goal is not None:
        objective["goal"] = goal
    if additional_metrics:
        objective["additionalMetricNames"] = list(additional_metrics)
    args = [f"--{pname}=${{trialParameters.{pname}}}" for pname in space]
    job_spec: dict[str, Any] = {
        "template": {
            "spec": {
                "containers": [{"name": CONTAINER, "image": image, "command": command + args}],
                "restartPolicy": "Never",
            }
        }
    }
    if trial_timeout is not None:
        job_spec = {"activeDeadlineSeconds": int(trial_timeout), **job_spec}
    spec: dict[str, Any] = {
        "objective": objective,
        "algorithm": {"algorithmName": algorithm},
        "parallelTrialCount": parallel_trials,
        "maxTrialCount": max_trials,
    }
    if algorithm_settings:
        spec["algorithm"]["algorithmSettings"] = [
            {"name": k, "value": str(v)} for k, v in algorithm_settings.items()
        ]
    if max_failed_trials is not None:
        spec["maxFailedTrialCount"] = max_failed_trials
    spec["parameters"] = [item.to_katib(pname) for pname, item in space.items()]
    spec["trialTemplate"] = {
        "primaryContainerName": CONTAINER,
        "trialParameters": [
            {"name": pname, "description": f"{pname} for the trial", "reference": pname}
            for pname in space
        ],
        "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": job_spec},
    }
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": metadata,
        "spec": spec,
    }


def export_katib(path: str | Path, space: Mapping[str, SearchSpec], **kwargs: Any) -> Path:
    """Write :func:`experiment_document` to ``path`` as YAML; validate it first."""
    doc = experiment_document(space, **kwargs)
    parse_experiment(doc)  # never write something our own parser rejects
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return out
