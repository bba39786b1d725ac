"""Katib-style tuning of the lab's 13 parameters through an injected experiment runner.

``recipes`` sits in the same layer as ``tunelab.katib`` and must not import it, so the caller
(the CLI) passes a :class:`Tuner`: a function that runs a Katib Experiment YAML locally and
returns the path of the ``experiment.json`` it wrote.
"""

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from tunelab.entities import ConfigError, DataError
from tunelab.recipes.gender._models import LabParams

EXPERIMENT_FILE = "experiment.yaml"
TRIAL_SCRIPT = "train_trial.py"


class Tuner(Protocol):
    """Runs the experiment at ``spec_path``; trials run in ``workdir`` with scripts looked up
    in ``source_dir``; returns the ``experiment.json`` written into ``out_dir``."""

    def __call__(self, spec_path: Path, workdir: Path, out_dir: Path, source_dir: Path) -> Path:
        raise NotImplementedError


def shipped_experiment() -> dict[str, Any]:
    """The lab's experiment as shipped with the recipe (``experiment.yaml``)."""
    text = resources.files(__package__).joinpath(EXPERIMENT_FILE).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ConfigError(f"{EXPERIMENT_FILE} is not a mapping")
    return doc


def prepare_experiment(
    target_dir: Path,
    input_path: Path,
    *,
    max_trials: int,
    parallel: int = 2,
    algorithm: str = "random",
    seed: int = 0,
) -> Path:
    """Writes a runnable copy of the experiment and the trial script into ``target_dir``."""
    if max_trials < 1:
        raise ConfigError(f"tune trials must be >= 1, got {max_trials}")
    doc = shipped_experiment()
    spec = doc["spec"]
    spec["maxTrialCount"] = int(max_trials)
    spec["parallelTrialCount"] = max(1, min(int(parallel), int(max_trials)))
    spec["maxFailedTrialCount"] = min(int(spec.get("maxFailedTrialCount", 4)), int(max_trials))
    spec["algorithm"] = {
        "algorithmName": algorithm,
        "algorithmSettings": [{"name": "random_state", "value": str(seed)}],
    }
    containers = spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"]
    command = containers[0]["command"]
    for i, arg in enumerate(command):
        if str(arg).startswith("--input-path="):
            command[i] = f"--input-path={input_path.resolve()}"
    command.append(f"--seed={seed}")
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / EXPERIMENT_FILE
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    script = resources.files(__package__).joinpath(TRIAL_SCRIPT)
    with resources.as_file(script) as src:
        shutil.copyfile(src, target_dir / TRIAL_SCRIPT)
    return path


def best_parameters(experiment_json: Path) -> tuple[LabParams, dict[str, Any]]:
    """The optimal trial's parameterAssignments (Katib's experiment status format)."""
    try:
        doc = json.loads(experiment_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {experiment_json}: {exc}") from exc
    status = doc.get("status", doc)
    optimal = status.get("currentOptimalTrial") or doc.get("currentOptimalTrial")
    assignments = (optimal or {}).get("parameterAssignments")
    if not assignments:
        raise DataError(f"{experiment_json} has no currentOptimalTrial.parameterAssignments")
    values = {a["name"]: a["value"] for a in assignments}
    return LabParams.from_mapping(values), optimal
