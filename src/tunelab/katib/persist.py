"""``experiment.json`` in the output folder, the spec fingerprint and resume checks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tunelab.entities import ConfigError
from tunelab.katib.results import (
    MAX_TRIALS_REACHED,
    RUNNING,
    SUCCEEDED,
    Condition,
    OptimalTrial,
    TrialResult,
    experiment_document,
    write_json_atomic,
)
from tunelab.katib.spec import ExperimentSpec, KatibSpecError
from tunelab.katib.template import find_container

EXPERIMENT_FILE = "experiment.json"
STUDY_FILE = "optuna.db"
_EDITABLE = ("parallelTrialCount", "maxTrialCount", "maxFailedTrialCount")


def spec_fingerprint(spec: ExperimentSpec) -> str:
    """Hash of the spec without the three counts Katib lets you edit."""
    body = {k: v for k, v in (spec.raw.get("spec") or {}).items() if k not in _EDITABLE}
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def spec_summary(spec: ExperimentSpec) -> dict[str, Any]:
    container_images = []
    if spec.trial_template.trial_spec is not None:
        found = find_container(
            spec.trial_template.trial_spec, spec.trial_template.primary_container_name
        )
        if found:
            container_images.append(str(found.get("image", "")))
    return {
        "objective": {
            "type": spec.objective.type,
            "objectiveMetricName": spec.objective.objective_metric_name,
            "additionalMetricNames": list(spec.objective.additional_metric_names),
            "goal": spec.objective.goal,
            "metricStrategies": [
                {"name": n, "value": spec.objective.strategy(n)}
                for n in spec.objective.metric_names
            ],
        },
        "algorithm": {
            "algorithmName": spec.algorithm.algorithm_name,
            "algorithmSettings": [
                {"name": k, "value": v} for k, v in spec.algorithm.algorithm_settings
            ],
        },
        "earlyStopping": spec.early_stopping.algorithm_name if spec.early_stopping else None,
        "parallelTrialCount": spec.parallel_trial_count,
        "maxTrialCount": spec.max_trial_count,
        "maxFailedTrialCount": spec.max_failed_trial_count,
        "parameters": [
            {"name": p.name, "parameterType": p.parameter_type} for p in spec.parameters
        ],
        "metricsCollector": spec.metrics_collector.kind,
        "resumePolicy": spec.resume_policy,
        "images": container_images,
        "successCondition": spec.trial_template.success_condition,
        "failureCondition": spec.trial_template.failure_condition,
    }


class ExperimentStore:
    """Writes ``experiment.json`` (nothing when ``out_dir`` is None)."""

    def __init__(self, spec: ExperimentSpec, out_dir: Path | None) -> None:
        self.spec = spec
        self.out_dir = out_dir
        self.fingerprint = spec_fingerprint(spec)

    @property
    def path(self) -> Path | None:
        return None if self.out_dir is None else self.out_dir / EXPERIMENT_FILE

    def save(
        self,
        condition: Condition,
        trials: Iterable[TrialResult],
        optimal: OptimalTrial | None,
        notes: Iterable[str],
    ) -> None:
        if self.path is None:
            return
        doc = experiment_document(
            name=self.spec.name,
            spec_summary=spec_summary(self.spec),
            fingerprint=self.fingerprint,
            condition=condition,
            trials=trials,
            optimal=optimal,
            notes=notes,
        )
        write_json_atomic(self.path, doc)

    def load_for_resume(self) -> list[TrialResult]:
        """Trials of the previous run, after Katib's restart rules are checked."""
        path = self.path
        if path is None or not path.is_file():
            raise ConfigError(f"--resume: no {EXPERIMENT_FILE} in {self.out_dir} to resume")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("specFingerprint") != self.fingerprint:
            raise KatibSpecError(
                [
                    "spec: only spec.parallelTrialCount, spec.maxTrialCount and "
                    "spec.maxFailedTrialCount are editable when resuming"
                ]
            )
        trials = [TrialResult.from_json(t) for t in doc.get("trials", [])]
        condition = doc.get("condition", {})
        if condition.get("type") != RUNNING:
            restartable = (
                condition.get("type") == SUCCEEDED
                and condition.get("reason") == MAX_TRIALS_REACHED
                and self.spec.resume_policy in ("LongRunning", "FromVolume")
            )
            if not restartable:
                raise KatibSpecError(
                    [
                        f"spec.resumePolicy: {self.spec.resume_policy}: Experiment can be "
                        "restarted if it is in succeeded state by reaching max trials and "
                        "spec.resumePolicy = LongRunning or spec.resumePolicy = FromVolume, "
                        "when experiment is completed"
                    ]
                )
            max_trials = self.spec.max_trial_count
            if max_trials is not None and max_trials <= len(trials):
                raise KatibSpecError(
                    [
                        f"spec.maxTrialCount: {max_trials}: must be greater than status.trials "
                        f"count ({len(trials)})"
                    ]
                )
        return trials

    def check_fresh(self) -> None:
        path = self.path
        if path is not None and path.is_file():
            raise ConfigError(
                f"{path} already holds an experiment; pass --resume to continue it or "
                "choose another --out"
            )
