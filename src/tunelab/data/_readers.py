"""Read a table from a local path or any fsspec URL into a DataFrame."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from pathlib import PurePosixPath
from typing import Any, Literal

import fsspec
import pandas as pd
from charset_normalizer import from_bytes

from tunelab.data._limits import (
    check_bytes,
    check_parquet,
    check_shape,
    check_zip,
    default_limits,
)
from tunelab.entities import DataError, DataLimits

DELIMITED = (".csv", ".tsv", ".txt")
SUPPORTED_EXTENSIONS = (*DELIMITED, ".xls", ".xlsx", ".parquet")
DELIMITERS = (",", ";", "\t", "|")
_DEFAULT_DELIMITER = {".csv": ",", ".tsv": "\t", ".txt": ","}
_SNIFF_BYTES = 256 * 1024  # bytes given to charset-normalizer
_SNIFF_LINES = 200  # lines used to sniff the delimiter
_SNIFF_CHARS = 1024 * 1024  # characters those lines (and the header) are taken from
# charset-normalizer names -> the codec to decode with (cp949 is a superset of EUC-KR)
_ENCODING_ALIASES = {"euc_kr": "cp949", "euc-kr": "cp949", "ascii": "utf-8"}


def read_table(
    source: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    storage_options: dict[str, Any] | None = None,
    limits: DataLimits | None = None,
) -> pd.DataFrame:
    """Read a csv/tsv/txt, xls, xlsx or parquet table from a path or fsspec URL.

    The format comes from the extension. For delimited text, the encoding (utf-8, utf-8
    with BOM, cp949/euc-kr, ...) and the delimiter (``,`` ``;`` tab ``|``) are sniffed
    unless given. Column names keep their spelling but lose surrounding whitespace.

    ``limits`` (default: :func:`default_limits`) are checked before parsing: the bytes read,
    an xlsx's declared uncompressed sizes and inflation ratio, a parquet file's metadata,
    a delimited file's header width and line count; then the table's shape.

    Raises:
        DataError: naming the file, when it is missing, empty, has no data rows, is
            corrupt, cannot be decoded, splits badly, has duplicate column names, or is
            over a limit (naming the limit and how to raise it).
    """
    limits = limits or default_limits()
    name = os.fspath(source)
    ext = _extension(name)
    raw = _read_bytes(name, storage_options, limits.max_bytes)
    check_bytes(name, len(raw), limits)
    if not raw.strip():
        raise DataError(f"file {name!r} is empty")
    if ext in DELIMITED:
        frame = _read_delimited(raw, name, ext, encoding, delimiter, limits)
    elif ext in (".xls", ".xlsx"):
        if ext == ".xlsx" or raw.startswith(b"PK\x03\x04"):
            check_zip(raw, name, limits)
        frame = _read_excel(raw, name, ext, sheet)
    else:
        check_parquet(raw, name, limits)
        frame = _read_parquet(raw, name)
    check_shape(name, len(frame), frame.shape[1], limits)
    if frame.shape[1] == 0:
        raise DataError(f"file {name!r} holds no columns")
    if len(frame) == 0:
        raise DataError(f"file {name!r} has a header but no data rows")
    return frame


def _extension(name: str) -> str:
    path = name.split("?", 1)[0].rstrip("/")
    ext = PurePosixPath(path.replace("\\", "/")).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = ext or "(none)"
        raise DataError(
            f"cannot read {name!r}: unsupported file extension {shown}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return ext


def _read_bytes(name: str, storage_options: dict[str, Any] | None, max_bytes: int) -> bytes:
    """The file's bytes, at most ``max_bytes + 1`` of them (enough to tell it is too big)."""
    try:
        with fsspec.open(name, "rb", **(storage_options or {})) as handle:
            data: bytes = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise DataError(f"file {name!r} not found") from exc
    except IsADirectoryError as exc:
        raise DataError(f"{name!r} is a folder, not a file") from exc
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot open {name!r}: {exc}") from exc
    return data


# --- delimited text ---------------------------------------------------------------


def _read_delimited(
    raw: bytes,
    name: str,
    ext: str,
    encoding: str | None,
    delimiter: str | None,
    limits: DataLimits,
) -> pd.DataFrame:
    text = _decode(raw, name, encoding)
    if "\x00" in text:
        raise DataError(f"file {name!r} holds NUL bytes: it looks binary, not {ext} text")
    head = text[:_SNIFF_CHARS]
    lines = _sample_lines(head)
    if not lines:
        raise DataError(f"file {name!r} is empty")
    widths = {d: _field_counts(lines, d) for d in DELIMITERS}
    if delimiter is None:
        delimiter = _sniff_delimiter(widths, _DEFAULT_DELIMITER[ext])
        _refuse_prose(name, lines, widths[delimiter])
    elif len(delimiter) != 1:
        raise DataError(f"delimiter for {name!r} must be one character, got {delimiter!r}")
    else:
        _check_forced_delimiter(name, delimiter, _field_counts(lines, delimiter), widths)
    width = max(_field_counts(lines[:1], delimiter) or [0])
    check_shape(name, 0, width, limits)
    check_shape(name, text.count("\n"), width, limits)
    header = _parse(head, name, delimiter, header=None, nrows=1)
    frame = _parse(text, name, delimiter, header=0)
    return _set_columns(frame, [_clean(v) for v in header.iloc[0].tolist()], name)


def _decode(raw: bytes, name: str, encoding: str | None) -> str:
    if encoding is not None:
        try:
            return raw.decode(encoding)
        except LookupError as exc:
            raise DataError(f"unknown encoding {encoding!r} given for {name!r}") from exc
        except UnicodeDecodeError as exc:
            raise DataError(
                f"file {name!r} is not valid {encoding} text "
                f"(byte {exc.start}); omit encoding= to detect it"
            ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    tried = ["utf-8"]
    for candidate in _encoding_candidates(raw):
        tried.append(candidate)
        try:
            return raw.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise DataError(
        f"cannot detect the text encoding of {name!r} (tried {', '.join(tried)}); "
        "save it as UTF-8 and try again"
    )


def _encoding_candidates(raw: bytes) -> list[str]:
    """The detector's guess on a sample, then cp949 (Korean files are the usual case)."""
    candidates = []
    sample = raw[:_SNIFF_BYTES]
    cut = sample.rfind(b"\n")  # avoid cutting a multi-byte character in half
    best = from_bytes(sample[: cut + 1] if cut > 0 else sample).best()
    if best is not None:
        guess = best.encoding.lower()
        candidates.append(_ENCODING_ALIASES.get(guess, guess))
    candidates.append("cp949")
    return list(dict.fromkeys(c for c in candidates if c != "utf-8"))


def _sample_lines(head: str) -> list[str]:
    """The first non-blank lines, without a last line that may be cut short."""
    lines = [line for line in head.splitlines(keepends=True)[: _SNIFF_LINES + 1] if line.strip()]
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]
    return lines[:_SNIFF_LINES]


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    return [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]


def _consistency(counts: list[int]) -> tuple[float, int]:
    """Share of sampled records that have the most common width, and that width."""
    if not counts:
        return 0.0, 0
    width, hits = Counter(counts).most_common(1)[0]
    return hits / len(counts), width


def _sniff_delimiter(widths: dict[str, list[int]], default: str) -> str:
    best, best_key = default, (0.0, False, 0)
    for delim, counts in widths.items():
        share, width = _consistency(counts)
        if width < 2:
            continue
        key = (round(share, 2), delim == default, width)
        if key > best_key:
            best, best_key = delim, key
    return best


def _refuse_prose(name: str, lines: list[str], counts: list[int]) -> None:
    """Free text (no delimiter gives consistent columns, lines of many words) is no table."""
    share, width = _consistency(counts)
    if width >= 2 and share >= 0.6:
        return
    lengths = sorted(len(line.strip()) for line in lines)
    words = sorted(len(line.split()) for line in lines)
    if lengths[len(lengths) // 2] >= 40 and words[len(words) // 2] >= 6:
        raise DataError(
            f"{name!r} does not look like a table: no delimiter (comma, semicolon, tab or |) "
            "splits its lines into the same columns, and they read as free text; save the "
            "table as CSV with a header row"
        )


def _check_forced_delimiter(
    name: str, delimiter: str, counts: list[int], widths: dict[str, list[int]]
) -> None:
    if _consistency(counts)[1] > 1:
        return
    for other, other_counts in widths.items():
        share, width = _consistency(other_counts)
        if other != delimiter and width > 1 and share >= 0.9:
            raise DataError(
                f"delimiter {delimiter!r} splits {name!r} into a single column, but "
                f"{other!r} gives {width} columns; pass delimiter={other!r} or omit it"
            )


def _parse(
    text: str, name: str, delimiter: str, *, header: int | None, nrows: int | None = None
) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=header,
            nrows=nrows,
            index_col=False,
            dtype=str if header is None else None,
            low_memory=False,
        )
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"file {name!r} is empty") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"cannot parse {name!r} with delimiter {delimiter!r}: {exc}") from exc


# --- excel and parquet ------------------------------------------------------------


def _read_excel(raw: bytes, name: str, ext: str, sheet: str | int | None) -> pd.DataFrame:
    # an .xls that is really an .xlsx (zip) is common; read it with openpyxl
    zipped = ext == ".xlsx" or raw.startswith(b"PK\x03\x04")
    engine: Literal["openpyxl", "xlrd"] = "openpyxl" if zipped else "xlrd"
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine=engine)
    except Exception as exc:  # each engine raises its own error types on corrupt input
        raise DataError(f"cannot read {name!r}: not a valid {ext} workbook ({exc})") from exc
    with book:
        sheet_name = _pick_sheet(book.sheet_names, sheet, name)
        try:
            header = pd.read_excel(book, sheet_name=sheet_name, header=None, nrows=1, dtype=object)
            frame = pd.read_excel(book, sheet_name=sheet_name, header=0)
        except Exception as exc:
            raise DataError(f"cannot read sheet {sheet_name!r} of {name!r}: {exc}") from exc
    if header.empty:
        raise DataError(f"sheet {sheet_name!r} of {name!r} is empty")
    return _set_columns(frame, [_clean(v) for v in header.iloc[0].tolist()], name)


def _pick_sheet(names: list[Any], sheet: str | int | None, file: str) -> str | int:
    if sheet is None:
        return 0
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return sheet
    if sheet in names:
        return sheet
    listed = ", ".join(repr(str(n)) for n in names)
    raise DataError(f"no sheet {sheet!r} in {file!r}; sheets: {listed}")


def _read_parquet(raw: bytes, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(raw), engine="pyarrow")
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on corrupt files
        raise DataError(f"cannot read {name!r}: not a valid parquet file ({exc})") from exc
    return _set_columns(frame, [_clean(c) for c in frame.columns], name)


# --- column names -----------------------------------------------------------------


def _clean(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _set_columns(frame: pd.DataFrame, names: list[str | None], file: str) -> pd.DataFrame:
    if len(names) != frame.shape[1]:
        names = [_clean(c) for c in frame.columns]
    final = [n if n is not None else f"Unnamed: {i}" for i, n in enumerate(names)]
    dupes = sorted({n for n in final if final.count(n) > 1})
    if dupes:
        raise DataError(f"file {file!r} has duplicate column names: {', '.join(map(repr, dupes))}")
    frame.columns = pd.Index(final)  # the frame was just read: no one else holds it
    return frame
