"""Is an uploaded file a table? The rule the platform applies before it accepts a file.

A delimited file (.csv, .tsv, .txt) is a table when, over its first lines (at most 200):

1. one delimiter among comma, semicolon, tab and ``|`` splits the lines into fields, and
   at least 90 % of the lines have the same number of fields, at least 2 (a model needs
   features and a target);
2. the first line (the header) has that same number of fields;
3. the header reads as column names, not as a sentence: no name longer than 200
   characters, names of at most 4 words (median), and at most half of them end as a
   sentence does (``.``, ``!`` or ``?`` after 3 words or more).

An Excel or parquet file must start as its format does (a zip or OLE2 workbook; ``PAR1``).
Everything else is refused with a message saying which rule failed, naming the file as the
user called it.
"""

from __future__ import annotations

import csv
from statistics import median

from tunelab.data import _readers as readers
from tunelab.entities import DataError

MIN_SHARE = 0.9  # of the sampled lines that must have the header's field count
MAX_NAME = 200  # characters of one column name
MAX_NAME_WORDS = 4  # median words of the header's names
_XLS_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
HEAD_BYTES = 1024 * 1024  # bytes of a file the check reads


def check_table(head: bytes, name: str) -> None:
    """Raise DataError (a plain message naming ``name``) when ``head`` — the first bytes
    of a file called ``name`` — is not a table by the rule above."""
    ext = readers._extension(name)
    if not head.strip():
        raise DataError(f"{name!r} is empty")
    if ext in (".xls", ".xlsx"):
        if not head.startswith(_XLS_MAGIC):
            raise DataError(f"{name!r} is not an Excel workbook (its content is not {ext})")
        return
    if ext == ".parquet":
        if not head.startswith(b"PAR1"):
            raise DataError(f"{name!r} is not a parquet file")
        return
    cut = head.rfind(b"\n")
    text = readers._decode(head[: cut + 1] if cut > 0 else head, name, None)
    if "\x00" in text:
        raise DataError(f"{name!r} holds binary data, not {ext} text")
    lines = readers._sample_lines(text)
    if not lines:
        raise DataError(f"{name!r} is empty")
    widths = {d: readers._field_counts(lines, d) for d in readers.DELIMITERS}
    delimiter = readers._sniff_delimiter(widths, readers._DEFAULT_DELIMITER[ext])
    counts = widths[delimiter]
    share, width = readers._consistency(counts[1:] or counts)  # the rows, header aside
    if width < 2:
        raise DataError(
            f"{name!r} is not a table: no comma, semicolon, tab or | splits its lines into "
            "columns (a table needs at least 2 columns: the features and the target)"
        )
    if share < MIN_SHARE:
        raise DataError(
            f"{name!r} is not a table: its lines do not have the same number of fields "
            f"(only {share:.0%} have {width}); save it as CSV with one header row"
        )
    if counts[0] != width:
        raise DataError(
            f"{name!r} is not a table: its first line has {counts[0]} fields but the rows "
            f"have {width}; the first line must name the columns"
        )
    names = next(iter(csv.reader(lines[:1], delimiter=delimiter)))
    sentences = sum(len(n.split()) >= 3 and n.rstrip().endswith((".", "!", "?")) for n in names)
    if (
        any(len(n) > MAX_NAME for n in names)
        or median(len(n.split()) for n in names) > MAX_NAME_WORDS
        or sentences * 2 >= len(names)
    ):
        raise DataError(
            f"{name!r} is not a table: its first line reads as text, not as column names"
        )
