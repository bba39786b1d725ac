"""The data dictionary: what each column holds (``description``) and what its values mean
(``meaning``), kept with the dataset's per-column settings and copied into model bundles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunelab.entities import DataError

DICTIONARY_FIELDS = ("description", "meaning")
MAX_TEXT = 2000  # characters of one entry


def check_entry(column: str, field: str, value: Any) -> str:
    """``value`` as stored text (stripped); DataError naming the column when it is not text
    or is longer than ``MAX_TEXT``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"column {column!r}: {field} must be text")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise DataError(f"column {column!r}: {field} is longer than {MAX_TEXT} characters")
    return text


def data_dictionary(column_settings: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{column: {description, meaning}}`` for the columns that have either, from the
    dataset's per-column settings."""
    out: dict[str, dict[str, str]] = {}
    for name, values in column_settings.items():
        if not isinstance(values, Mapping):
            continue
        entry = {f: str(values[f]) for f in DICTIONARY_FIELDS if values.get(f)}
        if entry:
            out[str(name)] = entry
    return out
