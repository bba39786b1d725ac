"""Typical input values of a bundle, from its schema and the manifest's reference statistics.

Used for the example request body, the prediction form defaults, the explanation baseline and
the probes of the fast prediction path.
"""

import math
from collections.abc import Mapping
from typing import Any

from tunelab.bundles import ColumnSchema

CATEGORY_KINDS = ("categorical", "boolean")
_PROBE_QUANTILES = ("0.0", "0.01", "0.1", "0.25", "0.5", "0.75", "0.9", "0.99", "1.0")


def _finite(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def typical_value(column: ColumnSchema, stats: Mapping[str, Any] | None) -> Any:
    """The column's most frequent training value (numbers: the median, integral if it is).

    Categories keep their original type (an integer-coded category stays an int). None when
    nothing is known (e.g. an all-missing column).
    """
    stats = stats or {}
    if column.kind in CATEGORY_KINDS:
        frequencies = stats.get("frequencies") or {}
        categories = list(column.categories or ())
        if frequencies:
            top = max(frequencies.items(), key=lambda item: item[1])[0]
            for category in categories:
                if str(category) == top:
                    return category
            return top
        return categories[0] if categories else None
    median = _finite((stats.get("quantiles") or {}).get("0.5"))
    if median is None:
        median = _finite(stats.get("mean"))
    if median is None:
        return None
    if column.kind == "numeric" and column.dtype.lower().startswith(("int", "uint")):
        return round(median)
    return median


def example_record(schema: list[ColumnSchema], stats: Mapping[str, Any]) -> dict[str, Any]:
    """One input record holding each column's typical value."""
    return {c.name: typical_value(c, stats.get(c.name)) for c in schema}


def numeric_probes(stats: Mapping[str, Any] | None) -> list[float]:
    """Distinct probe numbers spanning and exceeding the training range (at least four)."""
    quantiles = (stats or {}).get("quantiles") or {}
    values = [v for q in _PROBE_QUANTILES if (v := _finite(quantiles.get(q))) is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    span = max(high - low, 1.0)
    values += [low - span - 1.0, high + span + 1.0, 0.0, 1.0, -1.0, 0.5, (low + high) / 2 + 0.37]
    return sorted(set(values))


def category_probes(column: ColumnSchema) -> list[Any]:
    """The allowed categories of a categorical/boolean column, in schema order."""
    if column.kind == "boolean" and not column.categories:
        return [True, False]
    return list(column.categories or ())
