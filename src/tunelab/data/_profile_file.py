"""Profile a table file in bounded memory: exact counts in chunks, the rest on a sample.

A delimited file is read in chunks of ``CHUNK_ROWS`` rows and never held whole. Over every
row, exactly: the row count, each column's missing count, numeric mean/std/min/max (as
:func:`profile_dataset` would compute them: values that are not numbers count as missing in
a numeric column), the class counts and missing count of the target. The expensive parts
(column kinds, distinct and most frequent values, histograms, leakage) are computed by
:func:`profile_dataset` on a uniform random sample of at most
``limits.profile_sample_rows`` rows; ``DatasetProfile.sampled_rows`` says how many (None
when the sample is the whole table, so the profile is exact). Excel and parquet tables are
read whole (their size is checked first, see ``read_table``) and profiled the same way.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import fsspec
import numpy as np
import pandas as pd

from tunelab.data import _readers as readers
from tunelab.data._limits import check_shape, default_limits, over
from tunelab.data._profile import profile_dataset
from tunelab.entities import ColumnKind, DataError, DataLimits, DatasetProfile, TaskType

CHUNK_ROWS = 50_000


@dataclasses.dataclass
class _Numeric:
    count: int = 0
    total: float = 0.0
    squares: float = 0.0
    low: float = np.inf
    high: float = -np.inf


@dataclasses.dataclass
class _Totals:
    rows: int = 0
    missing: dict[str, int] = dataclasses.field(default_factory=dict)
    numeric: dict[str, _Numeric] = dataclasses.field(default_factory=dict)
    classes: dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, chunk: pd.DataFrame, target: str | None) -> None:
        self.rows += len(chunk)
        for name in chunk.columns:
            col = chunk[name]
            self.missing[name] = self.missing.get(name, 0) + int(col.isna().sum())
            values = (
                pd.to_numeric(col, errors="coerce")
                if col.dtype == object or isinstance(col.dtype, pd.StringDtype)
                else col
            )
            arr = (
                np.asarray(values, dtype=float)
                if values.dtype != bool
                else values.to_numpy(dtype=float)
            )
            finite = arr[np.isfinite(arr)]
            acc = self.numeric.setdefault(name, _Numeric())
            acc.count += int((~np.isnan(arr)).sum())
            if finite.size:
                acc.total += float(finite.sum())
                acc.squares += float(np.square(finite).sum())
                acc.low = min(acc.low, float(finite.min()))
                acc.high = max(acc.high, float(finite.max()))
        if target is not None and target in chunk.columns:
            for label, n in chunk[target].dropna().astype(str).value_counts().items():
                self.classes[str(label)] = self.classes.get(str(label), 0) + int(n)


def profile_file(
    source: str | os.PathLike[str],
    *,
    target: str | None = None,
    task: TaskType | str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    storage_options: dict[str, Any] | None = None,
    limits: DataLimits | None = None,
    seed: int = 0,
    on_chunk: Callable[[pd.DataFrame], None] | None = None,
) -> DatasetProfile:
    """The profile of the table at ``source``, in memory bounded by the sample size.

    ``on_chunk`` sees every chunk of rows once (for exact statistics of the caller's own).
    Raises DataError like :func:`read_table` (including the limits it checks).
    """
    limits = limits or default_limits()
    name = os.fspath(source)
    ext = readers._extension(name)
    if ext in readers.DELIMITED:
        chunks = _delimited_chunks(name, ext, encoding, delimiter, storage_options, limits)
    else:
        frame = readers.read_table(
            name, sheet=sheet, storage_options=storage_options, limits=limits
        )
        chunks = (frame.iloc[i : i + CHUNK_ROWS] for i in range(0, len(frame), CHUNK_ROWS))
    totals = _Totals()
    rng = np.random.default_rng(seed)
    sample: pd.DataFrame | None = None
    keys = np.empty(0)
    for chunk in chunks:
        totals.add(chunk, target)
        if on_chunk is not None:
            on_chunk(chunk)
        chunk_keys = rng.random(len(chunk))
        sample = chunk if sample is None else pd.concat([sample, chunk], ignore_index=True)
        keys = np.concatenate([keys, chunk_keys])
        if len(sample) > limits.profile_sample_rows:
            keep = np.sort(np.argsort(keys)[: limits.profile_sample_rows])
            sample, keys = sample.iloc[keep].reset_index(drop=True), keys[keep]
    if sample is None or totals.rows == 0:
        raise DataError(f"file {name!r} has a header but no data rows")
    profile = profile_dataset(sample, target=target, task=task)
    if totals.rows == len(sample):
        return profile
    return _with_exact_counts(profile, totals, len(sample))


def _with_exact_counts(profile: DatasetProfile, totals: _Totals, n_sample: int) -> DatasetProfile:
    columns = []
    for col in profile.columns:
        changes: dict[str, Any] = {}
        acc = totals.numeric.get(col.name)
        if col.kind is ColumnKind.NUMERIC and acc is not None:
            n_missing = totals.rows - acc.count
            if acc.count:
                mean = acc.total / acc.count
                var = max(acc.squares / acc.count - mean * mean, 0.0)
                std = (var * acc.count / (acc.count - 1)) ** 0.5 if acc.count > 1 else 0.0
                changes.update(mean=mean, std=std, min=acc.low, max=acc.high)
        else:
            n_missing = totals.missing.get(col.name, col.n_missing)
        changes.update(n_missing=n_missing, missing_ratio=n_missing / totals.rows)
        columns.append(dataclasses.replace(col, **changes))
    extra: dict[str, Any] = {}
    if profile.target is not None:
        extra["n_target_missing"] = totals.missing.get(profile.target, 0)
        if profile.class_counts:
            extra["class_counts"] = dict(
                sorted(totals.classes.items(), key=lambda kv: (-kv[1], kv[0]))
            )
    return dataclasses.replace(
        profile, n_rows=totals.rows, columns=tuple(columns), sampled_rows=n_sample, **extra
    )


def _delimited_chunks(
    name: str,
    ext: str,
    encoding: str | None,
    delimiter: str | None,
    storage_options: dict[str, Any] | None,
    limits: DataLimits,
) -> Iterator[pd.DataFrame]:
    """The file's rows in chunks, parsed with the sniffed encoding and delimiter."""
    with fsspec.open(name, "rb", **(storage_options or {})) as handle:
        head_bytes = handle.read(readers._SNIFF_BYTES * 4)
    if not head_bytes.strip():
        raise DataError(f"file {name!r} is empty")
    cut = head_bytes.rfind(b"\n")
    head_bytes = head_bytes[: cut + 1] if cut > 0 else head_bytes
    codec = encoding or _detect_encoding(head_bytes, name)
    head = readers._decode(head_bytes, name, codec)
    if "\x00" in head:
        raise DataError(f"file {name!r} holds NUL bytes: it looks binary, not {ext} text")
    lines = readers._sample_lines(head)
    if not lines:
        raise DataError(f"file {name!r} is empty")
    widths = {d: readers._field_counts(lines, d) for d in readers.DELIMITERS}
    if delimiter is None:
        delimiter = readers._sniff_delimiter(widths, readers._DEFAULT_DELIMITER[ext])
        readers._refuse_prose(name, lines, widths[delimiter])
    width = max(readers._field_counts(lines[:1], delimiter) or [0])
    check_shape(name, 0, width, limits)
    header = readers._parse(head, name, delimiter, header=None, nrows=1)
    names = [readers._clean(v) for v in header.iloc[0].tolist()]
    rows = 0
    with fsspec.open(name, "rb", **(storage_options or {})) as handle:
        stream = io.TextIOWrapper(handle, encoding=codec, newline="")
        try:
            reader = pd.read_csv(
                stream, sep=delimiter, header=0, index_col=False, chunksize=CHUNK_ROWS
            )
            for chunk in reader:
                rows += len(chunk)
                if rows * chunk.shape[1] > limits.max_cells:
                    raise over(
                        name, "has cells:", rows * chunk.shape[1], "max_cells", limits.max_cells
                    )
                yield readers._set_columns(chunk, list(names), name)
        except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"cannot parse {name!r} with delimiter {delimiter!r}: {exc}") from exc


def _detect_encoding(head: bytes, name: str) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    for candidate in readers._encoding_candidates(head):
        try:
            head.decode(candidate)
            return candidate
        except (UnicodeDecodeError, LookupError):
            continue
    raise DataError(f"cannot detect the text encoding of {name!r}; pass encoding=...")
