"""Helpers for the Katib integration tests: a stdlib trial script and spec builders."""

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

TRIAL_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
    name = os.environ["KATIB_TRIAL_NAME"]
    number = int(name.rsplit("-", 1)[1])
    markers = args.get("markers")
    if markers:
        with open(os.path.join(markers, name + ".start"), "w") as fh:
            fh.write(repr(time.time()))
    mode = args.get("mode", "ok")
    x = float(args.get("x", 0.5))
    sleep = float(args.get("sleep", 0))
    score = 1.0 - (x - 0.3) ** 2
    if mode == "fail":
        print("boom", file=sys.stderr)
        sys.exit(1)
    if mode == "hang":
        time.sleep(60)
    if mode == "nometric":
        print("training done, nothing to report")
    elif mode == "median":
        bad = number >= int(args.get("bad_from", 2))
        for step in range(int(args.get("steps", 3))):
            print(f"accuracy={0.1 if bad else 0.9}", flush=True)
            time.sleep(sleep)
    elif mode == "file":
        path = args["file"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            if args.get("format") == "JSON":
                fh.write(json.dumps({"accuracy": f"{score:.4f}", "loss": 0.5}) + "\\n")
                fh.write(json.dumps({"accuracy": f"{score - 0.1:.4f}"}) + "\\n")
            else:
                fh.write(f"accuracy={score - 0.1:.4f}\\nloss=0.5\\naccuracy={score:.4f}\\n")
        print("accuracy=0.0001")  # stdout is ignored by the File collector
    else:
        time.sleep(sleep)
        print(f"epoch=1 accuracy={score - 0.05:.4f} loss={1 - score:.4f}", flush=True)
        print(f"epoch=2 accuracy={score:.4f} loss={1 - score:.4f}", flush=True)
    if markers:
        with open(os.path.join(markers, name + ".end"), "w") as fh:
            fh.write(repr(time.time()))
    """
)


@pytest.fixture
def trial_script(tmp_path: Path) -> Path:
    path = tmp_path / "trial.py"
    path.write_text(TRIAL_SCRIPT, encoding="utf-8")
    return path


def _experiment(
    script: Path,
    *,
    name: str = "exp",
    algorithm: str = "random",
    settings: dict[str, str] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    max_trials: int = 4,
    parallel: int = 2,
    max_failed: int | None = None,
    args: list[str] | None = None,
    objective: dict[str, Any] | None = None,
    deadline: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Katib Experiment dict whose trials run ``script`` with ``sys.executable``."""
    params = parameters or [
        {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}
    ]
    command = [sys.executable, str(script), *(args or [])]
    command += [f"--{p['name']}=${{trialParameters.{p['name']}}}" for p in params]
    job: dict[str, Any] = {
        "template": {
            "spec": {
                "containers": [
                    {"name": "training-container", "image": "python:3.11", "command": command}
                ],
                "restartPolicy": "Never",
            }
        }
    }
    if deadline is not None:
        job["activeDeadlineSeconds"] = deadline
    algo: dict[str, Any] = {"algorithmName": algorithm}
    if settings:
        algo["algorithmSettings"] = [{"name": k, "value": v} for k, v in settings.items()]
    spec: dict[str, Any] = {
        "objective": objective
        or {
            "type": "maximize",
            "objectiveMetricName": "accuracy",
            "additionalMetricNames": ["loss"],
        },
        "algorithm": algo,
        "parallelTrialCount": parallel,
        "maxTrialCount": max_trials,
        "parameters": params,
        "trialTemplate": {
            "primaryContainerName": "training-container",
            "trialParameters": [{"name": p["name"], "reference": p["name"]} for p in params],
            "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": job},
        },
    }
    if max_failed is not None:
        spec["maxFailedTrialCount"] = max_failed
    spec.update(extra or {})
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": name},
        "spec": spec,
    }


@pytest.fixture
def make_experiment(trial_script: Path) -> Any:
    """Build an Experiment dict running the trial script (keyword options as _experiment)."""

    def build(**kwargs: Any) -> dict[str, Any]:
        return _experiment(trial_script, **kwargs)

    return build
