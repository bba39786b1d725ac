"""Validation and normalisation of preprocessing settings (clear ConfigErrors)."""

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    ConfigError,
    Encoding,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    TaskType,
    Transformation,
)

FLAVORS = ("tree", "linear", "embed")
_E = TypeVar("_E", bound=StrEnum)

ALLOWED_IMPUTATIONS: dict[ColumnKind, frozenset[Imputation]] = {
    ColumnKind.NUMERIC: frozenset(Imputation),
    ColumnKind.BOOLEAN: frozenset(Imputation),
    ColumnKind.DATETIME: frozenset(Imputation),
    ColumnKind.CATEGORICAL: frozenset(
        {Imputation.NONE, Imputation.DROP_ROWS, Imputation.MOST_FREQUENT, Imputation.CONSTANT}
    ),
    ColumnKind.TEXT: frozenset({Imputation.NONE, Imputation.DROP_ROWS}),
}
ALLOWED_IMPUTATIONS[ColumnKind.ID] = ALLOWED_IMPUTATIONS[ColumnKind.CATEGORICAL]


@dataclass(frozen=True)
class Column:
    """One used column with its settings converted to proper enums."""

    name: str
    kind: ColumnKind
    settings: ColumnSettings


def check_task(task: TaskType | str) -> TaskType:
    try:
        return TaskType(task)
    except ValueError:
        known = [t.value for t in TaskType]
        raise ConfigError(f"unknown task {task!r}; expected one of {known}") from None


def check_flavor(flavor: str) -> str:
    if flavor not in FLAVORS:
        raise ConfigError(f"unknown preprocessing flavor {flavor!r}; expected one of {FLAVORS}")
    return flavor


def _enum(cls: type[_E], value: Any, field: str, column: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        known = [m.value for m in cls]
        raise ConfigError(f"column {column!r}: {field}={value!r} is not one of {known}") from None


def normalize_column(name: str, col: ColumnSettings) -> ColumnSettings:
    """The settings with every enum field converted (settings loaded by skops hold strings)."""
    settings = replace(
        col,
        kind=_enum(ColumnKind, col.kind, "kind", name),
        imputation=_enum(Imputation, col.imputation, "imputation", name),
        outliers=_enum(OutlierRule, col.outliers, "outliers", name),
        transformation=_enum(Transformation, col.transformation, "transformation", name),
        encoding=_enum(Encoding, col.encoding, "encoding", name),
    )
    kind = settings.kind
    if settings.imputation not in ALLOWED_IMPUTATIONS[kind]:
        allowed = sorted(i.value for i in ALLOWED_IMPUTATIONS[kind])
        raise ConfigError(
            f"column {name!r} ({kind.value}): imputation {settings.imputation.value!r} is not "
            f"available for this kind; use one of {allowed}"
        )
    if settings.outliers is not OutlierRule.NONE and kind is not ColumnKind.NUMERIC:
        raise ConfigError(
            f"column {name!r} ({kind.value}): outlier removal applies to numeric columns only"
        )
    if settings.transformation is not Transformation.NONE and kind is not ColumnKind.NUMERIC:
        raise ConfigError(
            f"column {name!r} ({kind.value}): transformations apply to numeric columns only"
        )
    if (
        settings.imputation is Imputation.CONSTANT
        and kind is not ColumnKind.CATEGORICAL
        and kind is not ColumnKind.ID
        and settings.fill_value is not None
    ):
        try:
            float(settings.fill_value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"column {name!r}: fill_value {settings.fill_value!r} is not a number"
            ) from None
    return settings


def used_columns(settings: PreprocessingSettings) -> list[Column]:
    """The columns marked ``use``, validated; raises ConfigError if there are none."""
    _enum(Encoding, settings.encoding, "encoding", "<whole table>")
    if settings.onehot_max_categories < 1:
        raise ConfigError(
            f"onehot_max_categories must be >= 1, got {settings.onehot_max_categories}"
        )
    columns = []
    for name, col in settings.columns.items():
        if not col.use:
            continue
        normalized = normalize_column(name, col)
        columns.append(Column(name=name, kind=normalized.kind, settings=normalized))
    if not columns:
        raise ConfigError("preprocessing settings use no column: mark at least one as used")
    return columns
