"""Per-column settings of a dataset: the allowed values, validation and recommendation.

Stored as ``{column: {use, kind, imputation, fill_value, outliers, transformation,
encoding}}`` — the fields of ``tunelab.entities.ColumnSettings`` as plain JSON — plus the
column's data dictionary entry (``description``, ``meaning``: text, see
``tunelab.data.data_dictionary``). Other keys are kept as they are (extensions); known keys
are checked with the preprocessing package itself, so a setting saved here is one the
AutoML pipeline accepts.
"""

from dataclasses import fields
from enum import Enum
from functools import cache
from typing import Any

from tunelab.entities.columns import ColumnKind, ColumnProfile, DatasetProfile, LeakageWarning
from tunelab.entities.errors import ConfigError
from tunelab.entities.platform import ConflictError, Dataset
from tunelab.entities.preprocessing import (
    ColumnSettings,
    Encoding,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    Transformation,
)
from tunelab.server.errors import FieldError

CHOICES: dict[str, tuple[str, ...]] = {
    "kind": tuple(k.value for k in ColumnKind),
    "imputation": tuple(i.value for i in Imputation),
    "outliers": tuple(o.value for o in OutlierRule),
    "transformation": tuple(t.value for t in Transformation),
    "encoding": tuple(e.value for e in Encoding),
}
SETTING_NAMES = frozenset(f.name for f in fields(ColumnSettings))


def _check(name: str, settings: ColumnSettings) -> None:
    """Raise ConfigError when the preprocessing package refuses these settings."""
    from tunelab.preprocessing import build_preprocessor

    probe = PreprocessingSettings(
        columns={name: ColumnSettings(**{**_as_dict(settings), "use": True})}
    )
    build_preprocessor(probe, task="regression", flavor="linear")


def _as_dict(settings: ColumnSettings) -> dict[str, Any]:
    return {f.name: getattr(settings, f.name) for f in fields(ColumnSettings)}


def as_json(settings: ColumnSettings) -> dict[str, Any]:
    """Settings as plain JSON values (enums as their strings)."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in _as_dict(settings).items()}


@cache
def allowed_values(kind: str) -> dict[str, tuple[str, ...]]:
    """For a column kind, the imputations, outlier rules and transformations it accepts."""
    out: dict[str, tuple[str, ...]] = {}
    for setting in ("imputation", "outliers", "transformation"):
        ok = []
        for value in CHOICES[setting]:
            values: dict[str, Any] = {setting: value}
            try:
                _check("column", ColumnSettings(kind=ColumnKind(kind), **values))
            except ConfigError:
                continue
            ok.append(value)
        out[setting] = tuple(ok)
    return out


def defaults(kind: str) -> dict[str, Any]:
    """Settings of a column with nothing set but its kind."""
    return as_json(ColumnSettings(kind=ColumnKind(kind)))


def profile_columns(dataset: Dataset) -> dict[str, dict[str, Any]]:
    """The profiled columns by name (empty before the profile job has run)."""
    return {str(c["name"]): c for c in (dataset.profile or {}).get("columns", [])}


def merge_changes(dataset: Dataset, changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The dataset's settings with ``changes`` merged in; 422 naming column and setting.

    Unknown columns are refused once the dataset is profiled. A column's missing fields
    are taken from its profile kind, so each changed column is checked as a whole.
    """
    known = profile_columns(dataset)
    merged = {name: dict(values) for name, values in dataset.column_settings.items()}
    for column, values in changes.items():
        if known and column not in known:
            raise FieldError(
                ["body", column], f"column {column!r} is not in the dataset", "value_error"
            )
        if not isinstance(values, dict):
            raise FieldError(["body", column], "expected an object of settings", "type_error")
        current = {**merged.get(column, {}), **values}
        _validate(column, current, known.get(column, {}).get("kind"))
        _dictionary_entries(column, current)
        merged[column] = current
    return merged


def _dictionary_entries(column: str, values: dict[str, Any]) -> None:
    """Check the column's data dictionary entries in place (text, trimmed; empty: removed)."""
    from tunelab.data import DICTIONARY_FIELDS, check_entry
    from tunelab.entities import DataError

    for field in DICTIONARY_FIELDS:
        if field not in values:
            continue
        try:
            text = check_entry(column, field, values[field])
        except DataError as exc:
            raise FieldError(["body", column, field], str(exc), "value_error") from None
        if text:
            values[field] = text
        else:
            del values[field]


def _validate(column: str, values: dict[str, Any], profile_kind: str | None) -> None:
    if "use" in values and not isinstance(values["use"], bool):
        raise FieldError(["body", column, "use"], "expected true or false", "type_error")
    for setting, choices in CHOICES.items():
        if setting in values and values[setting] not in choices:
            raise FieldError(
                ["body", column, setting],
                f"column {column!r}: {setting}={values[setting]!r} is not one of {list(choices)}",
                "value_error",
            )
    kind = values.get("kind") or profile_kind or ColumnKind.NUMERIC.value
    given = {k: v for k, v in values.items() if k in SETTING_NAMES and k not in ("use", "kind")}
    try:
        _check(column, ColumnSettings(kind=ColumnKind(kind), **given))
    except ConfigError as exc:
        raise FieldError(["body", column, _field_of(str(exc))], str(exc), "value_error") from exc


_FIELD_WORDS = (
    ("fill_value", "fill_value"),
    ("imputation", "imputation"),
    ("outlier", "outliers"),
    ("transformation", "transformation"),
)


def _field_of(message: str) -> str:
    """The setting a preprocessing ConfigError is about (its message names it)."""
    return next((name for word, name in _FIELD_WORDS if word in message), "kind")


def profile_from_json(data: dict[str, Any]) -> DatasetProfile:
    """Rebuild the ``DatasetProfile`` entity from its stored JSON form."""
    columns = tuple(
        ColumnProfile(
            **{
                **{k: v for k, v in c.items() if k in {f.name for f in fields(ColumnProfile)}},
                "kind": ColumnKind(c["kind"]),
                "histogram": tuple(tuple(part) for part in c.get("histogram") or ((), ())),
            }
        )
        for c in data.get("columns", [])
    )
    leakage = tuple(LeakageWarning(**w) for w in data.get("leakage", []))
    return DatasetProfile(
        n_rows=int(data.get("n_rows", 0)),
        n_columns=int(data.get("n_columns", len(columns))),
        columns=columns,
        target=data.get("target"),
        task=data.get("task"),
        class_counts=dict(data.get("class_counts") or {}),
        n_target_missing=int(data.get("n_target_missing", 0)),
        leakage=leakage,
    )


def recommended(dataset: Dataset, target: str | None = None) -> dict[str, Any]:
    """Column settings recommended by ``tunelab.preprocessing.recommend`` for the profile.

    409 while the dataset is not profiled; 422 naming ``target`` if it is not a column.
    """
    from tunelab.preprocessing import recommend

    if dataset.profile is None:
        raise ConflictError(f"dataset {dataset.id!r} is not profiled yet")
    if target is not None and target not in profile_columns(dataset):
        raise FieldError(
            ["body", "target"], f"column {target!r} is not in the dataset", "value_error"
        )
    settings = recommend(profile_from_json(dataset.profile), target)
    return {name: as_json(col) for name, col in settings.columns.items()}


PROPOSED = ("use", "kind", "imputation", "fill_value", "outliers", "transformation", "encoding")


def proposal(dataset: Dataset, target: str | None = None) -> list[dict[str, Any]]:
    """What applying the recommendation would change, one item per setting:
    ``{column, setting, current, proposed}`` (nothing is saved).

    ``current`` is the setting in force: the stored value, else the default of the column's
    profile kind.
    """
    changes = []
    known = profile_columns(dataset)
    for column, values in recommended(dataset, target).items():
        stored = dataset.column_settings.get(column) or {}
        kind = str(stored.get("kind") or known.get(column, {}).get("kind") or "numeric")
        current = {**defaults(kind), **stored}
        for setting in PROPOSED:
            if setting in values and values[setting] != current.get(setting):
                changes.append(
                    {
                        "column": column,
                        "setting": setting,
                        "current": current.get(setting),
                        "proposed": values[setting],
                    }
                )
    return changes


def changes_of(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{column: {setting: proposed}}`` from proposal items (what ``merge_changes`` takes)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        out.setdefault(str(item["column"]), {})[str(item["setting"])] = item["proposed"]
    return out
