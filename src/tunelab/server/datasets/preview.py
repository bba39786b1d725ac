"""First and last rows and the row count of a stored table, read cheaply from its file."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import Dataset

N_ROWS = 5
FULL_READ_BYTES = 16 * 1024 * 1024  # smaller delimited files are simply read whole
WINDOW_BYTES = 1024 * 1024  # bytes read at each end of a larger delimited file


def _records(frame: Any) -> list[dict[str, Any]]:
    from tunelab.tracking import jsonable

    clean = frame.astype(object).where(frame.notna(), None)
    return list(jsonable(clean.to_dict(orient="records")))


def _result(columns: list[str], head: Any, tail: Any, n_rows: int) -> dict[str, Any]:
    return {"columns": columns, "head": _records(head), "tail": _records(tail), "n_rows": n_rows}


def _parquet(artifacts: ArtifactStore, key: str) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with artifacts.open(key) as handle:
        parquet = pq.ParquetFile(handle)
        n_rows = parquet.metadata.num_rows
        head = next(parquet.iter_batches(batch_size=N_ROWS), None)
        head_frame = (
            head.to_pandas()
            if head is not None
            else parquet.schema_arrow.empty_table().to_pandas()
        )
        tables: list[Any] = []
        collected = 0
        for group in reversed(range(parquet.num_row_groups)):
            table = parquet.read_row_group(group)
            tables.insert(0, table.slice(max(0, table.num_rows - N_ROWS)))
            collected += table.num_rows
            if collected >= N_ROWS:
                break
        tail = pa.concat_tables(tables) if tables else parquet.schema_arrow.empty_table()
        tail_frame = tail.to_pandas().tail(N_ROWS)
    return _result(
        [str(c) for c in head_frame.columns], head_frame.head(N_ROWS), tail_frame, n_rows
    )


@contextmanager
def _local_copy(data: bytes, suffix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tunelab-preview-") as tmp:
        path = Path(tmp) / f"part{suffix}"
        path.write_bytes(data)
        yield path


def _count_lines(artifacts: ArtifactStore, key: str) -> int:
    count, last = 0, b"\n"
    for piece in artifacts.iter_chunks(key):
        count += piece.count(b"\n")
        last = piece[-1:]
    return count + (0 if last == b"\n" else 1)


def _large_delimited(artifacts: ArtifactStore, dataset: Dataset, suffix: str) -> dict[str, Any]:
    """Head from the first MiB, tail from the last MiB (with the header line put back)."""
    from tunelab.data import read_table

    size = dataset.size_bytes
    with artifacts.open(dataset.uri) as handle:
        start = handle.read(WINDOW_BYTES)
        handle.seek(max(0, size - WINDOW_BYTES))
        end = handle.read(WINDOW_BYTES)
    header, _, _ = start.partition(b"\n")
    first = start[: start.rfind(b"\n") + 1]
    last = end[end.find(b"\n") + 1 :]
    with _local_copy(first, suffix) as path:
        head = read_table(path)
    with _local_copy(header + b"\n" + last, suffix) as path:
        tail = read_table(path)
    n_rows = (
        dataset.n_rows if dataset.n_rows is not None else _count_lines(artifacts, dataset.uri) - 1
    )
    return _result([str(c) for c in head.columns], head.head(N_ROWS), tail.tail(N_ROWS), n_rows)


def preview_table(artifacts: ArtifactStore, dataset: Dataset) -> dict[str, Any]:
    """``{columns, head, tail, n_rows}`` of a dataset's file (values JSON-ready, NaN -> None).

    Parquet reads only its footer, the first batch and the last row group; delimited text
    over 16 MiB reads 1 MiB at each end (the row count comes from the profile, or a
    streamed line count before it exists); anything else is read whole.
    """
    from tunelab.data import read_table

    suffix = PurePosixPath(dataset.uri).suffix.lower()
    if suffix == ".parquet":
        return _parquet(artifacts, dataset.uri)
    if suffix in (".csv", ".tsv", ".txt") and dataset.size_bytes > FULL_READ_BYTES:
        return _large_delimited(artifacts, dataset, suffix)
    with tempfile.TemporaryDirectory(prefix="tunelab-preview-") as tmp:
        local = artifacts.get_file(dataset.uri, Path(tmp) / PurePosixPath(dataset.uri).name)
        frame = read_table(local)
    return _result(
        [str(c) for c in frame.columns], frame.head(N_ROWS), frame.tail(N_ROWS), len(frame)
    )
