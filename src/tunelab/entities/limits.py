"""Limits that keep a hostile or oversized file from exhausting a process."""

from dataclasses import dataclass, fields
from typing import Any

from tunelab.entities.errors import ConfigError

GIB = 1024**3


@dataclass(frozen=True)
class DataLimits:
    """How large a table tunelab reads (see docs/data.md, "Limits").

    ``max_bytes``: bytes of a file once decompressed (the zip members of an xlsx, the
    uncompressed column chunks of a parquet file, the bytes of a csv). ``max_ratio``: how
    many times an xlsx member may inflate (a zip bomb inflates hundreds of times).
    ``max_columns`` and ``max_cells`` (rows x columns) bound the table itself.
    ``profile_sample_rows``: above this many rows a file profile computes its expensive parts
    (kinds, distinct and frequent values, histograms, leakage) on a uniform sample.
    """

    max_columns: int = 2_000
    max_cells: int = 200_000_000
    max_bytes: int = 2 * GIB
    max_ratio: int = 100
    profile_sample_rows: int = 200_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"data limit {f.name} must be a positive integer, got {value!r}")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "DataLimits":
        """Limits with the given fields changed; ConfigError naming an unknown field."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"unknown data limit {unknown[0]!r}; known: {', '.join(sorted(known))}"
            )
        return cls(**values)
