"""A JSON description of a fitted model: ensemble members and weights, each member's
preprocessing steps (per column) and estimator with its hyperparameters.

Works by walking the fitted estimator generically: tunelab's ensembles (``WeightedEnsemble``,
``StackedEnsemble``, ``FoldBag``), ``TabularModel`` (preprocessing + model), scikit-learn
``Pipeline`` and ``ColumnTransformer``; anything else is shown as one step with its params.
"""

import inspect
import json
import math
from typing import Any

MAX_PARAM_TEXT = 120


def _plain(value: Any) -> Any:
    """A JSON-friendly short form of a parameter value."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    if isinstance(value, list | tuple) and len(value) <= 20:
        return [_plain(v) for v in value]
    text = type(value).__name__ if hasattr(value, "get_params") else repr(value)
    return text[:MAX_PARAM_TEXT]


def _defaults(cls: type) -> dict[str, Any]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return {}
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def params_of(estimator: Any, *, changed_only: bool = False) -> dict[str, Any]:
    """The shallow constructor parameters (only those differing from the defaults if asked)."""
    if not hasattr(estimator, "get_params"):
        return {}
    params = estimator.get_params(deep=False)
    defaults = _defaults(type(estimator)) if changed_only else {}
    out: dict[str, Any] = {}
    for name, value in sorted(params.items()):
        if hasattr(value, "get_params") or (isinstance(value, list) and len(value) > 20):
            continue
        if changed_only and name in defaults and _same(defaults[name], value):
            continue
        out[name] = _plain(value)
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False


def _step(name: str, estimator: Any) -> dict[str, Any]:
    identity = type(estimator).__name__ == "FunctionTransformer" and estimator.func is None
    if isinstance(estimator, str) or estimator is None or identity:
        return {"name": name, "class": "passthrough", "params": {}}
    params = params_of(estimator, changed_only=True)
    params.pop("transformers", None)  # a ColumnTransformer's are shown per column
    return {
        "name": name,
        "class": type(estimator).__name__,
        "params": params,
    }


def _steps(estimator: Any, name: str = "step") -> list[dict[str, Any]]:
    """Flatten a (nested) Pipeline into its steps."""
    if hasattr(estimator, "steps"):
        out: list[dict[str, Any]] = []
        for step_name, step in estimator.steps:
            out.extend(_steps(step, step_name))
        return out
    return [_step(name, estimator)]


def _column_steps(preprocessor: Any) -> dict[str, list[str]]:
    """Column -> the transformer chain applied to it (from fitted ColumnTransformers)."""
    chains: dict[str, list[str]] = {}
    steps = getattr(preprocessor, "steps", [("columns", preprocessor)])
    for _, step in steps:
        for _, transformer, columns in getattr(step, "transformers_", []) or []:
            if transformer == "drop" or not isinstance(columns, list | tuple):
                continue
            labels = [s["class"] for s in _steps(transformer)]
            for column in columns:
                chains.setdefault(str(column), []).extend(labels)
    return chains


def _column_settings(settings: Any) -> dict[str, dict[str, Any]]:
    columns = getattr(settings, "columns", None) or {}
    return {
        str(name): {
            key: _plain(getattr(col, key))
            for key in ("kind", "imputation", "outliers", "transformation", "encoding")
            if hasattr(col, key)
        }
        for name, col in columns.items()
        if getattr(col, "use", True)
    }


def describe_estimator(estimator: Any) -> dict[str, Any]:
    """One member: its preprocessing (steps, per column) and final estimator."""
    n_folds = 1
    if hasattr(estimator, "estimators_") and type(estimator).__name__ == "FoldBag":
        n_folds = len(estimator.estimators_)
        estimator = estimator.estimators_[0]
    out: dict[str, Any] = {"n_folds": n_folds, "flavor": getattr(estimator, "flavor", None)}
    inner = getattr(estimator, "estimator_", None)
    preprocessor = getattr(estimator, "preprocessor_", None)
    if inner is not None and preprocessor is not None:  # a TabularModel
        out["steps"] = _steps(preprocessor)
        columns = _column_settings(getattr(estimator, "settings", None))
        for column, chain in _column_steps(preprocessor).items():
            columns.setdefault(column, {})["steps"] = chain
        out["columns"] = columns
        settings = getattr(estimator, "settings", None)
        out["table_settings"] = {
            key: _plain(getattr(settings, key))
            for key in ("scaling", "variance_threshold", "feature_engineering", "encoding")
            if settings is not None and hasattr(settings, key)
        }
    elif hasattr(estimator, "steps"):
        *pre, (_, inner) = estimator.steps
        out["steps"] = [_step(n, s) for n, s in pre]
        out["columns"] = {}
    else:
        inner = estimator
        out["steps"], out["columns"] = [], {}
    out["estimator"] = {
        "class": type(inner).__name__,
        "module": type(inner).__module__.split(".")[0],
        "params": params_of(inner),
    }
    return out


def _trial_rows(report: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for row in (report or {}).get("leaderboard") or []:
        number = row.get("trial")
        if isinstance(number, int) and number >= 0:
            params = row.get("params")
            if isinstance(params, str):
                try:
                    params = json.loads(params)
                except ValueError:
                    params = {}
            rows[number] = {**row, "params": params or {}}
    return rows


def describe_model(
    model: Any, manifest: dict[str, Any], report: dict[str, Any] | None
) -> dict[str, Any]:
    """The whole pipeline view of a bundle's model (see the module docstring)."""
    extra = manifest.get("extra") or {}
    kind = str(extra.get("model_kind") or "single")
    weights = list((extra.get("ensemble_members") or {}).items())
    refitted = {str(n) for n in extra.get("refitted_members") or []}
    trials = _trial_rows(report)
    meta = None
    if hasattr(model, "members_"):
        members = list(model.members_)
        member_weights = [float(w) for w in getattr(model, "weights_", [])]
        meta_model = getattr(model, "meta_model_", None)
        if meta_model is not None:
            meta = {"class": type(meta_model).__name__, "params": params_of(meta_model)}
    else:
        members, member_weights = [model], [1.0]
    described = []
    for i, member in enumerate(members):
        entry = describe_estimator(member)
        trial = int(weights[i][0]) if i < len(weights) and str(weights[i][0]).isdigit() else None
        weight = member_weights[i] if i < len(member_weights) else None
        if weight is None and i < len(weights):
            weight = float(weights[i][1])
        row = trials.get(trial, {}) if trial is not None else {}
        entry.update(
            trial=trial,
            weight=weight,
            name=row.get("name") or entry["estimator"]["class"],
            family=row.get("family"),
            score=row.get("score"),
            searched_params=row.get("params") or {},
            refitted=trial is not None and str(trial) in refitted,
        )
        described.append(entry)
    return {
        "kind": kind,
        "task": manifest.get("task"),
        "target": manifest.get("target"),
        "metric": extra.get("metric"),
        "classes": manifest.get("classes"),
        "split": extra.get("split"),
        "search": extra.get("search") or {},
        "inputs": [
            {"name": c.get("name"), "kind": c.get("kind"), "dtype": c.get("dtype")}
            for c in manifest.get("input_schema") or []
        ],
        "members": described,
        "meta_model": meta,
    }
