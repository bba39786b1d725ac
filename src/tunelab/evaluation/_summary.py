"""The plain data a run report is written from, and its JSON form."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np


@dataclass
class ModelDetails:
    """One model of the leaderboard.

    ``metrics`` maps a part (``"train"``, ``"valid"``, ``"test"``) to the ``metrics`` dict of
    :func:`evaluate_predictions` (``{name: {value, ci_low, ci_high, greater_is_better}}``).
    ``curves`` is the ``curves`` dict of the part the plots show (``curves_part``).
    ``importance`` is the output of :func:`permutation_importance`.
    """

    name: str
    family: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    cv_score: float | None = None
    cv_std: float | None = None
    fit_time: float | None = None
    validation: str = ""
    metrics: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    curves: dict[str, Any] = field(default_factory=dict)
    curves_part: str = "valid"
    importance: list[tuple[str, float, float]] = field(default_factory=list)
    notes: str = ""


@dataclass
class RunSummary:
    """Everything a run report shows.

    ``leaderboard`` rows are plain dicts, best first; the ``"name"`` key links a row to the
    ``ModelDetails`` of the same name. ``dataset`` holds e.g. name, n_rows, n_columns and
    fingerprint; ``split`` the output of :func:`split_summary`.
    """

    task: str
    metric: str
    target: str
    dataset: dict[str, Any] = field(default_factory=dict)
    leaderboard: list[dict[str, Any]] = field(default_factory=list)
    models: list[ModelDetails] = field(default_factory=list)
    best_model: str | None = None
    ensemble_weights: dict[str, float] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=dict)
    # synthetic training rows: what was drawn and how it compares (None: none asked for)
    synthetic: dict[str, Any] | None = None
    title: str = "tunelab run report"
    created_at: str = ""


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, enums, tuples and dataclasses made JSON-native.

    Non-finite floats become None.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def slug(name: str) -> str:
    """A file-name-safe form of a model name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "model"
    return cleaned[:80]


def unique_slugs(names: list[str]) -> dict[str, str]:
    """Map each name to a distinct slug."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = candidate = slug(name)
        i = 2
        while candidate.lower() in used:
            candidate = f"{base}_{i}"
            i += 1
        used.add(candidate.lower())
        out[name] = candidate
    return out


def fmt(value: Any, digits: int = 4) -> str:
    """Numbers to ``digits`` significant digits; None/nan to a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(value)
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}g}" if math.isfinite(value) else "–"
    return str(value)


def metric_rows(model: ModelDetails) -> list[dict[str, str]]:
    """One row per metric, one column per part, each cell ``value [low, high]``."""
    parts: list[str] = [p for p in ("train", "valid", "test") if p in model.metrics]
    parts += [p for p in model.metrics if p not in parts]
    names: list[str] = []
    for part in parts:
        names += [n for n in model.metrics[part] if n not in names]
    rows = []
    for name in names:
        row = {"metric": name}
        for part in parts:
            cell = model.metrics[part].get(name)
            if cell is None:
                row[part] = "–"
                continue
            text = fmt(cell.get("value"))
            if cell.get("ci_low") is not None and cell.get("ci_high") is not None:
                text += f" [{fmt(cell['ci_low'])}, {fmt(cell['ci_high'])}]"
            row[part] = text
        rows.append(row)
    return rows
