"""Settings checks that need the model families: the public validation of every face.

``check_settings`` is what the REST API, the Setup page and the CLI call at the edge: the
settings model's own checks, then algorithm names against the registry and the task, then
the data-dependent checks (split column, class to balance to).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from tunelab.entities import (
    AutoMLSettings,
    ConfigError,
    SettingsError,
    TaskType,
    parse_settings,
)


def check_algorithms(names: Sequence[str], task: str | None = None) -> None:
    """``SettingsError`` on ``algorithms`` for an unknown family (listing the known ones)
    or one that does not support ``task``."""
    if task == TaskType.CLUSTERING.value:
        from tunelab.clustering import family_names

        known = family_names()
        unknown = [n for n in names if n not in known]
        if unknown:
            message = (
                f"unknown clustering algorithm(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(known)}"
            )
            raise SettingsError([("algorithms", message)])
        return
    from tunelab.models import get_model_spec

    for name in names:
        try:
            spec = get_model_spec(name)
        except ConfigError as exc:
            raise SettingsError([("algorithms", str(exc))]) from None
        if task is not None and not spec.supports(TaskType(task)):
            raise SettingsError(
                [("algorithms", f"algorithm {name!r} does not support task {task!r}")]
            )


def check_settings(
    settings: AutoMLSettings | Mapping[str, Any],
    *,
    task: str | None = None,
    columns: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
) -> AutoMLSettings:
    """The checked settings object; ``SettingsError`` lists every bad field by its path.

    ``task`` (when known) checks algorithms and class balancing against it; ``columns``
    (when the dataset is profiled) the split column; ``classes`` ``sampling.balance_to``.
    """
    checked: AutoMLSettings = parse_settings(settings)
    errors: list[tuple[str, str]] = []
    if checked.algorithms:
        try:
            check_algorithms(checked.algorithms, task)
        except SettingsError as exc:
            errors.extend(exc.errors)
    try:
        checked.check_data(task=task, columns=columns, classes=classes)
    except SettingsError as exc:
        errors.extend(exc.errors)
    if errors:
        raise SettingsError(errors)
    return checked
