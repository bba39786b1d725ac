"""Validation of ``spec.trialTemplate`` and ``spec.metricsCollectorSpec`` (Katib webhook rules)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tunelab.katib.spec import (
    DEFAULT_METRICS_FILE,
    JOB_FAILURE_CONDITION,
    JOB_SUCCESS_CONDITION,
    MetricsCollectorSpec,
    ParameterSpec,
    TrialParameterSpec,
    TrialTemplate,
)
from tunelab.katib.template import META_REF, PARAM_PLACEHOLDER, find_container

_TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")
COLLECTOR_KINDS = ("StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Custom", "Push")


def mapping(value: Any, path: str, errors: list[str]) -> dict[str, Any]:
    """``value`` if it is a mapping, else record ``path: must be ...`` and return {}."""
    if value is None:
        errors.append(f"{path}: must be specified")
        return {}
    if not isinstance(value, dict):
        errors.append(f"{path}: must be a mapping")
        return {}
    return value


def parse_trial_template(
    value: Any, parameters: tuple[ParameterSpec, ...], errors: list[str]
) -> TrialTemplate:
    path = "spec.trialTemplate"
    tmpl = mapping(value, path, errors)
    primary = str(tmpl.get("primaryContainerName") or "")
    if tmpl and not primary:
        errors.append(f"{path}.primaryContainerName: must be specified")
    trial_spec = tmpl.get("trialSpec")
    config_map = tmpl.get("configMap")
    if tmpl and trial_spec is None and config_map is None:
        errors.append(f"{path}: spec.trialTemplate.trialSpec or configMap must be specified")
    if trial_spec is not None and config_map is not None:
        errors.append(f"{path}: only one of trialSpec or configMap can be specified")
    is_job = isinstance(trial_spec, dict) and trial_spec.get("kind") == "Job"
    success = tmpl.get("successCondition") or (JOB_SUCCESS_CONDITION if is_job else "")
    failure = tmpl.get("failureCondition") or (JOB_FAILURE_CONDITION if is_job else "")
    if tmpl and (not success or not failure):
        errors.append(f"{path}: successCondition and failureCondition must be specified")
    names = {p.name for p in parameters}
    trial_params: list[TrialParameterSpec] = []
    for i, item in enumerate(tmpl.get("trialParameters") or ()):
        ipath = f"{path}.trialParameters[{i}]"
        pname = str(item.get("name") or "") if isinstance(item, dict) else ""
        ref = str(item.get("reference") or "") if isinstance(item, dict) else ""
        if not pname or not ref or "{" in pname or "}" in pname:
            errors.append(
                f"{ipath}: name and reference must be specified and name must not contain "
                "'{' or '}'"
            )
            continue
        if any(p.name == pname for p in trial_params):
            errors.append(f"{ipath}.name: parameter name {pname} can't be duplicated")
        if ref not in names and not META_REF.fullmatch(ref):
            errors.append(
                f"{ipath}.reference: parameter reference {ref} does not exist in spec.parameters"
            )
        desc = str(item.get("description") or "")
        trial_params.append(TrialParameterSpec(pname, ref, desc))
    if isinstance(trial_spec, dict):
        _check_trial_spec(trial_spec, primary, trial_params, path, errors)
    elif trial_spec is not None:
        errors.append(f"{path}.trialSpec: must be a Kubernetes object (a mapping)")
    labels = tmpl.get("primaryPodLabels") or {}
    return TrialTemplate(
        primary_container_name=primary,
        trial_parameters=tuple(trial_params),
        trial_spec=trial_spec if isinstance(trial_spec, dict) else None,
        config_map=config_map if isinstance(config_map, dict) else None,
        retain=bool(tmpl.get("retain", False)),
        success_condition=str(success),
        failure_condition=str(failure),
        primary_pod_labels={str(k): str(v) for k, v in dict(labels).items()},
    )


def _check_trial_spec(
    trial_spec: dict[str, Any],
    primary: str,
    trial_params: list[TrialParameterSpec],
    path: str,
    errors: list[str],
) -> None:
    text = yaml.safe_dump(trial_spec, sort_keys=True)
    for i, param in enumerate(trial_params):
        token = "${trialParameters." + param.name + "}"
        if token not in text:
            errors.append(
                f"{path}.trialParameters[{i}].name: parameter name: {param.name} in "
                "spec.trialParameters not found in spec.trialTemplate"
            )
        text = text.replace(token, "test-value")
    missing = sorted(set(PARAM_PLACEHOLDER.findall(text)))
    if missing:
        errors.append(
            f"{path}: parameters: {missing} in spec.trialTemplate not found in "
            "spec.trialParameters"
        )
    if not trial_spec.get("apiVersion") or not trial_spec.get("kind"):
        errors.append(f"{path}: APIVersion and Kind in spec.trialTemplate must be specified")
    meta = trial_spec.get("metadata") or {}
    if isinstance(meta, dict) and (meta.get("name") or meta.get("namespace")):
        errors.append(
            f"{path}: metadata.name and metadata.namespace in spec.trialTemplate must be omitted"
        )
    if primary:
        container = find_container(trial_spec, primary)
        if container is None:
            errors.append(
                f"{path}.primaryContainerName: container {primary!r} not found in trialSpec"
            )
        elif not (container.get("command") or container.get("args")):
            errors.append(f"{path}.trialSpec: container {primary!r} has no command or args")
    deadline = (trial_spec.get("spec") or {}).get("activeDeadlineSeconds")
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, int | float) or deadline <= 0
    ):
        errors.append(f"{path}.trialSpec.spec.activeDeadlineSeconds: must be a positive number")


def parse_collector(value: Any, errors: list[str]) -> MetricsCollectorSpec:
    path = "spec.metricsCollectorSpec"
    if value is None:
        return MetricsCollectorSpec()
    mc = mapping(value, path, errors)
    kind = str((mc.get("collector") or {}).get("kind") or "StdOut")
    if kind == "None":
        errors.append(f"{path}.collector.kind: None: the None collector was removed from Katib")
    elif kind not in COLLECTOR_KINDS:
        errors.append(f"{path}.collector.kind: {kind}: invalid metrics collector kind")
    source = mc.get("source") or {}
    fs = source.get("fileSystemPath") or {}
    fpath, fkind, fformat = fs.get("path"), fs.get("kind"), fs.get("format")
    filters = tuple(str(f) for f in ((source.get("filter") or {}).get("metricsFormat") or ()))
    if kind == "File":
        fpath = fpath or DEFAULT_METRICS_FILE
        fkind = fkind or "File"
        fformat = fformat or "TEXT"
        if fkind != "File" or not str(fpath).startswith("/"):
            errors.append(
                f"{path}.source.fileSystemPath.path: file path where metrics file exists is "
                "required (an absolute path of kind File)"
            )
        if fformat not in ("TEXT", "JSON"):
            errors.append(
                f"{path}.source.fileSystemPath.format: {fformat!r}: must be TEXT or JSON"
            )
        if fformat == "JSON" and source.get("filter") is not None:
            errors.append(
                f"{path}.source.filter: filter must be nil when format of metrics file is json"
            )
    for regex in filters:
        try:
            re.compile(regex)
        except re.error as exc:
            errors.append(f"{path}.source.filter.metricsFormat: {regex!r}: invalid filter: {exc}")
            continue
        if not _TWO_GROUPS.match(regex):
            errors.append(
                f"{path}.source.filter.metricsFormat: {regex!r}: two top subexpressions are "
                "required"
            )
    return MetricsCollectorSpec(
        kind=kind,
        metrics_format=filters,
        file_path=str(fpath) if fpath else None,
        file_kind=str(fkind) if fkind else None,
        file_format=str(fformat) if fformat else None,
    )
