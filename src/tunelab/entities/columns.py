"""Column kinds and the profile of a dataset."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ColumnKind(StrEnum):
    """What a column holds, as inferred from its values (or set by the user)."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    ID = "id"  # id-like: unique per row, dropped from features by default


@dataclass(frozen=True)
class ColumnProfile:
    """Summary statistics of one column.

    ``histogram`` holds ``(bin_edges, counts)`` for numeric columns and
    ``(labels, counts)`` of the most frequent values for the others.
    """

    name: str
    kind: ColumnKind
    dtype: str
    n_missing: int
    missing_ratio: float
    n_unique: int
    mean: float | None = None
    std: float | None = None
    min: Any = None
    max: Any = None
    most_frequent: Any = None
    histogram: tuple[tuple[Any, ...], tuple[int, ...]] = ((), ())


@dataclass(frozen=True)
class LeakageWarning:
    """A feature that alone predicts the target almost perfectly."""

    column: str
    score: float
    metric: str
    message: str


@dataclass(frozen=True)
class DatasetProfile:
    """Profile of a whole table; ``target``-related fields are empty without a target."""

    n_rows: int
    n_columns: int
    columns: tuple[ColumnProfile, ...]
    target: str | None = None
    task: str | None = None  # a TaskType value
    class_counts: dict[str, int] = field(default_factory=dict)
    n_target_missing: int = 0
    leakage: tuple[LeakageWarning, ...] = ()
    # None: every statistic is over all rows. Otherwise the row count, missing counts,
    # numeric mean/std/min/max, class counts and target-missing count are still exact, and
    # kinds, distinct/frequent values, histograms and leakage come from this many rows
    # sampled uniformly (a file profiled in chunks, see ``tunelab.data.profile_file``).
    sampled_rows: int | None = None

    def column(self, name: str) -> ColumnProfile:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"no column named {name!r} in the profile")

    @property
    def kinds(self) -> dict[str, ColumnKind]:
        return {col.name: col.kind for col in self.columns}
