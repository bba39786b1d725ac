"""Parse a Katib v1beta1 Experiment (YAML/dict) and validate it like Katib's webhook."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from tunelab.katib.algorithms import validate_algorithm, validate_early_stopping
from tunelab.katib.parse_template import mapping, parse_collector, parse_trial_template
from tunelab.katib.spec import (
    DEFAULT_PARALLEL_TRIAL_COUNT,
    MAXIMIZE,
    MINIMIZE,
    AlgorithmSpec,
    ExperimentSpec,
    FeasibleSpace,
    KatibSpecError,
    MetricStrategy,
    Objective,
    ParameterSpec,
)

_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
PARAMETER_TYPES = ("int", "double", "discrete", "categorical")
DISTRIBUTIONS = ("uniform", "logUniform", "normal", "logNormal")
RESUME_POLICIES = ("Never", "LongRunning", "FromVolume")


def load_experiment(source: str | Path | dict[str, Any]) -> ExperimentSpec:
    """Read an Experiment from a YAML file path, YAML text or a dict; raise KatibSpecError."""
    if isinstance(source, dict):
        doc: Any = source
    else:
        text = source
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
            path = Path(source)
            if not path.is_file():
                raise KatibSpecError([f"{path}: file not found"])
            text = path.read_text(encoding="utf-8")
        try:
            docs = [d for d in yaml.safe_load_all(str(text)) if d is not None]
        except yaml.YAMLError as exc:
            raise KatibSpecError([f"<yaml>: not valid YAML: {exc}"]) from exc
        experiments = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Experiment"]
        doc = experiments[0] if experiments else (docs[0] if docs else None)
    if not isinstance(doc, dict):
        raise KatibSpecError(["<root>: expected a mapping (a Katib Experiment)"])
    return parse_experiment(doc)


def parse_experiment(doc: dict[str, Any]) -> ExperimentSpec:
    """Validate a decoded Experiment document; collects every error before raising."""
    errors: list[str] = []
    if doc.get("apiVersion") != "kubeflow.org/v1beta1":
        errors.append(f"apiVersion: must be kubeflow.org/v1beta1, got {doc.get('apiVersion')!r}")
    if doc.get("kind") != "Experiment":
        errors.append(f"kind: must be Experiment, got {doc.get('kind')!r}")
    meta = mapping(doc.get("metadata"), "metadata", errors)
    name = str(meta.get("name") or "")
    if not _NAME_RE.match(name):
        errors.append(
            f"metadata.name: {name!r}: name must consist of lower case alphanumeric characters "
            "or '-', start with an alphabetic character, and end with an alphanumeric character"
        )
    spec = mapping(doc.get("spec"), "spec", errors)
    counts = _counts(spec, errors)
    objective = _objective(spec.get("objective"), errors)
    algorithm = _algorithm(spec.get("algorithm"), "spec.algorithm", errors, required=True)
    early = None
    if spec.get("earlyStopping") is not None:
        early = _algorithm(spec.get("earlyStopping"), "spec.earlyStopping", errors, required=True)
    policy = spec.get("resumePolicy") or "Never"
    if policy not in RESUME_POLICIES:
        errors.append(f"spec.resumePolicy: {policy!r}: invalid ResumePolicyType")
    parameters = _parameters(spec.get("parameters"), errors)
    if spec.get("nasConfig") is not None:
        errors.append("spec.nasConfig: neural architecture search is not supported locally")
    template = parse_trial_template(spec.get("trialTemplate"), parameters, errors)
    collector = parse_collector(spec.get("metricsCollectorSpec"), errors)
    experiment = ExperimentSpec(
        name=name,
        namespace=str(meta.get("namespace") or "default"),
        objective=objective,
        algorithm=algorithm,
        parameters=parameters,
        trial_template=template,
        early_stopping=early,
        parallel_trial_count=counts[0],
        max_trial_count=counts[1],
        max_failed_trial_count=counts[2],
        metrics_collector=collector,
        resume_policy=str(policy),
        raw=doc,
    )
    if not any(e.startswith("spec.algorithm.algorithmName") for e in errors):
        errors.extend(validate_algorithm(experiment))
    if early is not None:
        errors.extend(validate_early_stopping(experiment))
    if errors:
        raise KatibSpecError(errors)
    return experiment


def _int(value: Any, path: str, errors: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{path}: must be an integer, got {value!r}")
        return None
    return value


def _counts(spec: dict[str, Any], errors: list[str]) -> tuple[int, int | None, int | None]:
    parallel = _int(spec.get("parallelTrialCount"), "spec.parallelTrialCount", errors)
    max_trials = _int(spec.get("maxTrialCount"), "spec.maxTrialCount", errors)
    max_failed = _int(spec.get("maxFailedTrialCount"), "spec.maxFailedTrialCount", errors)
    parallel = DEFAULT_PARALLEL_TRIAL_COUNT if parallel is None else parallel
    if max_failed is not None and max_failed < 0:
        errors.append(f"spec.maxFailedTrialCount: {max_failed}: should not be less than 0")
    if max_trials is not None and max_trials <= 0:
        errors.append(f"spec.maxTrialCount: {max_trials}: must be greater than 0")
    if parallel <= 0:
        errors.append(f"spec.parallelTrialCount: {parallel}: must be greater than 0")
    if max_failed is not None and max_trials is not None and max_failed > max_trials:
        errors.append(
            f"spec.maxFailedTrialCount: {max_failed}: should be less than or equal to "
            "spec.maxTrialCount"
        )
    if max_trials is not None and parallel > max_trials:
        errors.append(
            f"spec.parallelTrialCount: {parallel}: should be less than or equal to "
            "spec.maxTrialCount"
        )
    return parallel, max_trials, max_failed


def _objective(value: Any, errors: list[str]) -> Objective:
    path = "spec.objective"
    obj = mapping(value, path, errors)
    kind = obj.get("type")
    if obj and kind not in (MINIMIZE, MAXIMIZE):
        errors.append(f"{path}.type: {kind!r}: must be minimize or maximize")
    metric = str(obj.get("objectiveMetricName") or "")
    if obj and not metric:
        errors.append(f"{path}.objectiveMetricName: must be specified")
    additional = tuple(str(m) for m in obj.get("additionalMetricNames") or ())
    if metric and metric in additional:
        errors.append(
            f"{path}.additionalMetricNames: should not contain spec.objective.objectiveMetricName"
        )
    goal = None
    if obj.get("goal") is not None:
        try:
            goal = float(obj["goal"])
        except (TypeError, ValueError):
            errors.append(f"{path}.goal: must be a number, got {obj['goal']!r}")
    strategies = []
    for i, item in enumerate(obj.get("metricStrategies") or ()):
        spath = f"{path}.metricStrategies[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{spath}: must be a mapping with name and value")
            continue
        sname, svalue = str(item.get("name") or ""), item.get("value")
        if sname not in (metric, *additional):
            errors.append(f"{spath}.name: {sname!r} is not an objective or additional metric")
        if svalue not in ("min", "max", "latest"):
            errors.append(f"{spath}.value: {svalue!r}: must be min, max or latest")
        strategies.append(MetricStrategy(sname, str(svalue)))
    return Objective(
        type=str(kind or MAXIMIZE),
        objective_metric_name=metric,
        goal=goal,
        additional_metric_names=additional,
        metric_strategies=tuple(strategies),
    )


def _algorithm(value: Any, path: str, errors: list[str], *, required: bool) -> AlgorithmSpec:
    algo = mapping(value, path, errors) if required or value is not None else {}
    name = str(algo.get("algorithmName") or "")
    if algo and not name:
        errors.append(f"{path}.algorithmName: must be specified")
    settings = []
    for i, item in enumerate(algo.get("algorithmSettings") or ()):
        if not isinstance(item, dict) or not item.get("name"):
            errors.append(f"{path}.algorithmSettings[{i}]: name and value must be specified")
            continue
        raw = item.get("value")
        settings.append((str(item["name"]), "" if raw is None else str(raw)))
    return AlgorithmSpec(name, tuple(settings))


def _number(text: str | None, path: str, errors: list[str], *, integer: bool) -> float | None:
    if text is None:
        return None
    try:
        number = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        errors.append(f"{path}: must be {kind}, got {text!r}")
        return None
    if not math.isfinite(number):
        errors.append(f"{path}: must be finite, got {text!r}")
        return None
    return float(number)


def _parameters(value: Any, errors: list[str]) -> tuple[ParameterSpec, ...]:
    if not value:
        errors.append("spec.parameters: must be specified")
        return ()
    if not isinstance(value, list):
        errors.append("spec.parameters: must be a list")
        return ()
    params: list[ParameterSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        path = f"spec.parameters[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{path}: must be a mapping")
            continue
        name = str(item.get("name") or "")
        if not name:
            errors.append(f"{path}.name: must be specified")
        elif name in seen:
            errors.append(f"{path}.name: {name!r} is duplicated")
        seen.add(name)
        ptype = str(item.get("parameterType") or "")
        if ptype not in PARAMETER_TYPES:
            errors.append(f"{path}.parameterType: {ptype!r}: parameterType is not supported")
        space = _feasible_space(item.get("feasibleSpace"), ptype, f"{path}.feasibleSpace", errors)
        params.append(ParameterSpec(name, ptype, space))
    return tuple(params)


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _feasible_space(value: Any, ptype: str, path: str, errors: list[str]) -> FeasibleSpace:
    if not isinstance(value, dict) or not value:
        errors.append(f"{path}: feasibleSpace must be specified")
        return FeasibleSpace()
    space = FeasibleSpace(
        min=_str_or_none(value.get("min")),
        max=_str_or_none(value.get("max")),
        step=_str_or_none(value.get("step")),
        list=tuple(str(v) for v in value.get("list") or ()),
        distribution=str(value.get("distribution") or "uniform"),
    )
    if space.distribution not in DISTRIBUTIONS:
        errors.append(
            f"{path}.distribution: {space.distribution!r}: distribution is not supported"
        )
    if ptype in ("int", "double"):
        integer = ptype == "int"
        if space.list:
            errors.append(
                f"{path}.list: feasibleSpace.list is not supported for {ptype} parameters"
            )
        lo = _number(space.min, f"{path}.min", errors, integer=integer)
        hi = _number(space.max, f"{path}.max", errors, integer=integer)
        step = _number(space.step, f"{path}.step", errors, integer=integer)
        if space.min is None:
            errors.append(f"{path}.min: must be set for {ptype} parameters")
        if space.max is None:
            errors.append(f"{path}.max: must be set for {ptype} parameters")
        if lo is not None and hi is not None and lo > hi:
            errors.append(f"{path}.max: {space.max} must not be less than min {space.min}")
        if step is not None and step <= 0:
            errors.append(f"{path}.step: {space.step} must be greater than 0")
        if space.distribution in ("logUniform", "logNormal") and lo is not None and lo <= 0:
            errors.append(f"{path}.min: must be greater than 0 for {space.distribution}")
    elif ptype in ("categorical", "discrete"):
        if space.min is not None or space.max is not None or space.step is not None:
            errors.append(
                f"{path}: feasibleSpace .max, .min and .step is not supported for "
                f"{ptype} parameters"
            )
        if not space.list:
            errors.append(f"{path}.list: must be set for {ptype} parameters")
        if len(set(space.list)) != len(space.list):
            errors.append(f"{path}.list: values must be unique")
        if ptype == "discrete":
            for j, item in enumerate(space.list):
                _number(item, f"{path}.list[{j}]", errors, integer=False)
    return space
