"""The monitoring log: predictions of one deployment as Arrow IPC columns (no pickle).

A batch holds one row per predicted record: ``__at`` (epoch seconds), ``__id`` (the
prediction id), ``__model`` (the model id that answered), ``__prediction`` and, for
classifiers, ``__p:<class>`` (probabilities), then one column per input field: float64 for
numeric and datetime-as-number fields, strings otherwise.
"""

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

AT, ID, MODEL, PREDICTION = "__at", "__id", "__model", "__prediction"
PROBA = "__p:"
NUMERIC_KINDS = frozenset({"numeric"})


def _number(value: Any) -> float:
    if type(value) in (int, float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _column(values: list[Any], kind: str | None) -> pa.Array:
    if kind is None:
        plain = all(v is None or type(v) in (int, float) for v in values)
        kind = "numeric" if plain else "categorical"
    if kind in NUMERIC_KINDS:
        return pa.array(
            np.array([np.nan if v is None else _number(v) for v in values], dtype=float)
        )
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def encode_batch(
    requests: Sequence[Mapping[str, Any]], kinds: Mapping[str, str] | None = None
) -> tuple[bytes, int]:
    """Arrow IPC bytes of ``requests`` (each: ``inputs``, ``outputs``, ``prediction_ids``,
    ``at``, ``model_id``) and the number of rows. ``kinds``: field -> schema kind."""
    kinds = kinds or {}
    at: list[float] = []
    ids: list[str] = []
    models: list[str | None] = []
    predictions: list[Any] = []
    probabilities: dict[str, list[float]] = {}
    fields: dict[str, list[Any]] = {}
    n = 0
    for request in requests:
        records = request["inputs"]
        outputs = request["outputs"]
        k = len(records)
        at.extend([float(request["at"])] * k)
        ids.extend(request.get("prediction_ids") or [""] * k)
        models.extend([request.get("model_id")] * k)
        predictions.extend(outputs.get("predictions") or [None] * k)
        probs = outputs.get("probabilities") or []
        for label in dict.fromkeys(label for proba in probs for label in proba):
            probabilities.setdefault(label, [float("nan")] * n)
        for label, column in probabilities.items():
            column.extend(
                [float(p.get(label, "nan")) for p in probs] if probs else [float("nan")] * k
            )
        for name in dict.fromkeys([*fields, *(key for record in records for key in record)]):
            column = fields.setdefault(name, [None] * n)
            column.extend(record.get(name) for record in records)
        n += k
    classification = bool(probabilities)
    arrays = {
        AT: pa.array(np.asarray(at, dtype=float)),
        ID: pa.array(ids, type=pa.string()),
        MODEL: pa.array(models, type=pa.string()),
        PREDICTION: _column(predictions, "categorical" if classification else "numeric"),
    }
    for label, values in probabilities.items():
        arrays[PROBA + label] = pa.array(np.asarray(values, dtype=float))
    for name, values in fields.items():
        arrays[name] = _column(values, kinds.get(name))
    table = pa.table(arrays)
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue(), n


def decode_batches(blobs: Iterable[bytes]) -> pd.DataFrame:
    """One frame of the rows of every batch (columns missing from a batch are null)."""
    tables = [ipc.open_stream(pa.py_buffer(blob)).read_all() for blob in blobs]
    if not tables:
        return pd.DataFrame({AT: pd.Series(dtype=float), ID: pd.Series(dtype=object)})
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.to_pandas()


def window(frame: pd.DataFrame, start: float | None, end: float | None) -> pd.DataFrame:
    """The rows with ``start <= __at < end`` (epoch seconds; None: unbounded)."""
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= frame[AT].to_numpy() >= start
    if end is not None:
        keep &= frame[AT].to_numpy() < end
    return frame.loc[keep].reset_index(drop=True) if not keep.all() else frame


def inputs_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The input columns of a decoded window."""
    return frame[[c for c in frame.columns if not str(c).startswith("__")]]


def probabilities_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The class probability columns (named by class) of a decoded window."""
    columns = [c for c in frame.columns if str(c).startswith(PROBA)]
    return frame[columns].rename(columns=lambda c: str(c)[len(PROBA) :])
