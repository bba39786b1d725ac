"""A stored experiment -> ``ExperimentSettings`` and its per-column preprocessing.

The settings JSON of an experiment is read by the typed model
(``tunelab.entities.ExperimentSettings``), which also reads what older versions stored;
``preprocessing_for`` merges the whole-table options and the dataset's per-column settings
into the engine's ``PreprocessingSettings``.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    ConfigError,
    Encoding,
    ExperimentSettings,
    Imputation,
    OutlierRule,
    PreprocessingDefaults,
    PreprocessingSettings,
    Transformation,
    parse_settings,
)
from tunelab.entities.platform import Experiment

_COLUMN_FIELDS = {f.name for f in dataclasses.fields(ColumnSettings)}
_COLUMN_ENUMS: dict[str, Any] = {
    "kind": ColumnKind,
    "imputation": Imputation,
    "outliers": OutlierRule,
    "transformation": Transformation,
    "encoding": Encoding,
}


def experiment_settings(experiment: Experiment) -> ExperimentSettings:
    """The experiment's stored settings JSON with its task, target and metric, checked."""
    identity = {"task": experiment.task, "target": experiment.target, "metric": experiment.metric}
    return parse_settings(
        {**experiment.settings, **{k: v for k, v in identity.items() if v}},
        ExperimentSettings,
        stored=True,
    )


def preprocessing_for(
    base: PreprocessingSettings,
    options: PreprocessingDefaults | None,
    column_settings: Mapping[str, Any],
) -> PreprocessingSettings:
    """``base`` (the recommendation) with the whole-table options and per-column overrides.

    Per-column values use the ``ColumnSettings`` field names (use, kind, imputation,
    fill_value, outliers, transformation, encoding); other keys (UI notes) are ignored.
    """
    columns = dict(base.columns)
    for name, values in column_settings.items():
        if name not in columns or not isinstance(values, Mapping):
            continue
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in _COLUMN_FIELDS or (value is None and key != "fill_value"):
                continue
            enum = _COLUMN_ENUMS.get(key)
            if enum is None:
                changes[key] = value
                continue
            try:
                changes[key] = enum(value)
            except ValueError:
                raise ConfigError(
                    f"column {name!r}: {key}={value!r} is not one of "
                    f"{', '.join(e.value for e in enum)}"
                ) from None
        if "use" in changes:
            changes["use"] = bool(changes["use"])
        columns[name] = dataclasses.replace(columns[name], **changes)
    merged = dataclasses.replace(base, columns=columns)
    return merged if options is None else options.apply(merged)
