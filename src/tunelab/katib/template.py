"""Render a trial template: substitute parameters and build the local command line.

``${trialParameters.<name>}`` is replaced by the assignment of the parameter it references
(or by trial metadata for ``${trialSpec.Name}``-style references) everywhere in the
``trialSpec``. The primary container's ``command`` + ``args`` become the local argv, its
``env`` (plain ``value`` entries) is added to the environment and its ``image`` is only
reported. Two local conveniences: ``python``/``python3`` as the program runs with the
interpreter running tunelab, and a relative path that exists in the experiment's source
folder (the YAML's folder) is made absolute, since trials run in their own folder.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.katib.spec import ExperimentSpec, KatibSpecError

PARAM_PLACEHOLDER = re.compile(r"\$\{trialParameters\.([^}]+)\}")
META_REF = re.compile(
    r"\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|(Labels|Annotations)\[[^\]]+\])\}"
)
_META_ANY = re.compile(r"\$\{trialSpec\.([^}]+)\}")


@dataclass(frozen=True)
class TrialCommand:
    """What to run for one trial."""

    argv: tuple[str, ...]
    env: dict[str, str]
    image: str
    timeout: float | None  # from trialSpec.spec.activeDeadlineSeconds


def find_container(node: Any, name: str) -> dict[str, Any] | None:
    """The container called ``name`` anywhere in a Kubernetes object (depth-first)."""
    if isinstance(node, dict):
        containers = node.get("containers")
        if isinstance(containers, list):
            for item in containers:
                if isinstance(item, dict) and item.get("name") == name:
                    return item
        for value in node.values():
            found = find_container(value, name)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = find_container(value, name)
            if found is not None:
                return found
    return None


def _meta_value(key: str, trial_name: str, spec: ExperimentSpec) -> str:
    trial_spec = spec.trial_template.trial_spec or {}
    meta = trial_spec.get("metadata") or {}
    simple = {
        "Name": trial_name,
        "Namespace": spec.namespace,
        "Kind": str(trial_spec.get("kind", "")),
        "APIVersion": str(trial_spec.get("apiVersion", "")),
    }
    if key in simple:
        return simple[key]
    match = re.fullmatch(r"(Labels|Annotations)\[([^\]]+)\]", key)
    if match:
        table = meta.get(match.group(1).lower()) or {}
        return str(table.get(match.group(2), ""))
    return ""


def _substitute(node: Any, values: Mapping[str, str], meta: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        text = PARAM_PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), node)
        return _META_ANY.sub(lambda m: meta.get(m.group(1), m.group(0)), text)
    if isinstance(node, dict):
        return {k: _substitute(v, values, meta) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values, meta) for v in node]
    return node


def render_trial(
    spec: ExperimentSpec,
    trial_name: str,
    assignments: Mapping[str, str],
    *,
    source_dir: Path | None = None,
    path_map: Mapping[str, str] | None = None,
) -> TrialCommand:
    """Substitute ``assignments`` (parameter name -> Katib string value) into the template.

    ``path_map`` rewrites substrings of the argv (used to move a File collector's absolute
    path into the trial folder).
    """
    template = spec.trial_template
    if template.trial_spec is None:
        raise KatibSpecError(
            [
                "spec.trialTemplate.configMap: ConfigMap templates need a cluster; inline the "
                "template as spec.trialTemplate.trialSpec to run locally"
            ]
        )
    meta_keys = {m.group(1) for m in _META_ANY.finditer(str(template.trial_spec))}
    meta = {key: _meta_value(key, trial_name, spec) for key in meta_keys}
    values: dict[str, str] = {}
    for param in template.trial_parameters:
        ref_meta = _META_ANY.fullmatch(param.reference)
        if ref_meta:
            values[param.name] = _meta_value(ref_meta.group(1), trial_name, spec)
        else:
            values[param.name] = assignments[param.reference]
    rendered = _substitute(copy.deepcopy(template.trial_spec), values, meta)
    container = find_container(rendered, template.primary_container_name) or {}
    argv = [str(a) for a in (container.get("command") or [])]
    argv += [str(a) for a in (container.get("args") or [])]
    for old, new in (path_map or {}).items():
        argv = [a.replace(old, new) for a in argv]
    argv = _localize(argv, source_dir)
    env = {
        str(item["name"]): str(item["value"])
        for item in container.get("env") or ()
        if isinstance(item, dict) and "name" in item and "value" in item
    }
    deadline = (rendered.get("spec") or {}).get("activeDeadlineSeconds")
    timeout = float(deadline) if isinstance(deadline, int | float) else None
    return TrialCommand(tuple(argv), env, str(container.get("image", "")), timeout)


def _localize(argv: list[str], source_dir: Path | None) -> list[str]:
    if not argv:
        return argv
    out = list(argv)
    if Path(out[0]).name in ("python", "python3"):
        out[0] = sys.executable
    if source_dir is not None:
        for i, arg in enumerate(out[1:], start=1):
            if arg and not arg.startswith("-") and not Path(arg).is_absolute():
                candidate = source_dir / arg
                if candidate.is_file():
                    out[i] = str(candidate.resolve())
    return out
