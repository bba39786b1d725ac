"""A prose .txt file is refused as a table with a plain message; real tables still read."""

from pathlib import Path

import pytest

from tunelab.data import read_table
from tunelab.entities import DataError

PROSE = (
    "It was the best of times and it was the worst of times for everyone.\n"
    "The age of wisdom came first and the age of foolishness came right after it.\n"
    "We had everything before us, we had nothing before us at all that day.\n"
    "In short the period was so far like the present period in many ways.\n"
    "Some of its noisiest authorities insisted on its being received as such.\n"
)


def test_prose_text_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text(PROSE, encoding="utf-8")
    with pytest.raises(DataError, match=r"story.txt' does not look like a table"):
        read_table(path)


@pytest.mark.parametrize(
    "text",
    [
        "name\nalice\nbob\ncarol\n",  # one short column is a table
        "note,score\n"
        + "".join(f"a long free text comment number {i} here,{i}\n" for i in range(9)),
    ],
)
def test_tables_with_text_still_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "table.txt"
    path.write_text(text, encoding="utf-8")
    assert len(read_table(path)) >= 3
