"""Size checks done before a table is parsed (see :class:`tunelab.entities.DataLimits`)."""

from __future__ import annotations

import io
import zipfile

from tunelab.entities import DataError, DataLimits

_defaults = [DataLimits()]
_RATIO_FLOOR = 1024 * 1024  # members below 1 MiB may compress as well as they like


def set_default_limits(limits: DataLimits) -> None:
    """Limits used when a reader is given none (the server sets its configured ones)."""
    _defaults[0] = limits


def default_limits() -> DataLimits:
    return _defaults[0]


def _how_to_raise(field: str, value: int) -> str:
    return (
        f"raise it with DataLimits({field}=...) or the server setting "
        f"TUNELAB_DATA_LIMITS='{{\"{field}\": {value * 2}}}'"
    )


def over(name: str, what: str, value: int, field: str, limit: int) -> DataError:
    return DataError(
        f"file {name!r} {what} {value:,}, over the limit {field}={limit:,}; "
        + _how_to_raise(field, limit)
    )


def check_bytes(name: str, size: int, limits: DataLimits) -> None:
    if size > limits.max_bytes:
        raise over(name, "has (at least) bytes:", size, "max_bytes", limits.max_bytes)


def check_shape(name: str, n_rows: int, n_columns: int, limits: DataLimits) -> None:
    if n_columns > limits.max_columns:
        raise over(name, "has columns:", n_columns, "max_columns", limits.max_columns)
    if n_rows * n_columns > limits.max_cells:
        raise over(name, "has cells:", n_rows * n_columns, "max_cells", limits.max_cells)


def check_zip(raw: bytes, name: str, limits: DataLimits) -> None:
    """Refuse a zip (xlsx) whose declared sizes or inflation ratio are too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DataError(f"cannot read {name!r}: not a valid workbook ({exc})") from exc
    total = sum(i.file_size for i in infos)
    if total > limits.max_bytes:
        raise over(name, "inflates to bytes:", total, "max_bytes", limits.max_bytes)
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise DataError(
                f"file {name!r}: member {info.filename!r} inflates {info.compress_size:,} "
                f"bytes to {info.file_size:,} ({ratio:,.0f}x), over the limit "
                f"max_ratio={limits.max_ratio} (a zip bomb?); "
                + _how_to_raise("max_ratio", limits.max_ratio)
            )


def check_parquet(raw: bytes, name: str, limits: DataLimits) -> None:
    """Refuse a parquet file whose metadata declares too many columns, cells or bytes."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on corrupt files
        raise DataError(f"cannot read {name!r}: not a valid parquet file ({exc})") from exc
    check_shape(name, meta.num_rows, meta.num_columns, limits)
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if size > limits.max_bytes:
        raise over(name, "inflates to bytes:", size, "max_bytes", limits.max_bytes)
