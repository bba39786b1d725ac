"""What the pages offer to choose from: model families and metrics per task.

Its own module, importing nothing of the UI, so labels, rendering and pages can all use it.
"""

from functools import cache
from typing import Any

TASKS = ("binary", "multiclass", "regression")


@cache
def metrics_by_task() -> dict[str, list[str]]:
    """The metric names of every task."""
    from tunelab.evaluation import list_metrics

    return {task: list_metrics(task) for task in TASKS}


@cache
def algorithm_choices() -> list[dict[str, Any]]:
    """Every model family (clustering families too): name, label and the tasks it supports."""
    from tunelab.entities import TaskType
    from tunelab.models import list_model_specs

    seen: dict[str, dict[str, Any]] = {}
    for task in TaskType:
        for spec in list_model_specs(task):
            entry = seen.setdefault(
                spec.name, {"name": spec.name, "label": spec.label, "tasks": []}
            )
            entry["tasks"].append(task.value)
    from tunelab.clustering import FAMILIES

    for family in FAMILIES:  # the clustering experiment's families
        seen.setdefault(family.name, {"name": family.name, "label": family.label, "tasks": []})
        seen[family.name]["tasks"].append(TaskType.CLUSTERING.value)
    return list(seen.values())
