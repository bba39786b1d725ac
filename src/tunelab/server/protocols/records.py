"""Turning the protocols' request shapes into records (one dict per row)."""

import math
from typing import Any

from tunelab.server.predictor import MAX_RECORDS


class ProtocolError(Exception):
    """A request the protocol refuses; ``status`` is the HTTP code, the message names the
    input or field."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def clean(value: Any) -> Any:
    """NaN (from CSV or pandas) as None, the missing value of JSON records."""
    return None if isinstance(value, float) and math.isnan(value) else value


def from_columns(columns: dict[str, list[Any]], where: str) -> list[dict[str, Any]]:
    """``{"a": [1, 2], "b": [3, 4]}`` -> ``[{"a": 1, "b": 3}, {"a": 2, "b": 4}]``."""
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ProtocolError(f"{where}: columns have different lengths {lengths}")
    n = next(iter(lengths.values()), 0)
    return [{name: clean(values[i]) for name, values in columns.items()} for i in range(n)]


def from_rows(rows: list[Any], columns: list[str], where: str) -> list[dict[str, Any]]:
    """Rows as dicts, or as lists in ``columns`` order."""
    records: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        if isinstance(row, dict):
            records.append({str(k): clean(v) for k, v in row.items()})
        elif isinstance(row, list):
            if len(row) != len(columns):
                raise ProtocolError(
                    f"{where}[{index}] has {len(row)} values; the model takes {len(columns)} "
                    f"columns ({', '.join(columns)})"
                )
            records.append({c: clean(v) for c, v in zip(columns, row, strict=True)})
        else:
            raise ProtocolError(f"{where}[{index}] must be an object or a list of values")
    return records


def check_size(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not records:
        raise ProtocolError("the request holds no rows")
    if len(records) > MAX_RECORDS:
        raise ProtocolError(f"at most {MAX_RECORDS} rows per request")
    return records
