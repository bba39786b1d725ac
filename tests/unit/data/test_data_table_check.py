"""The rule an uploaded file must meet to be a table (``tunelab.data.check_table``)."""

import pytest

from tunelab.data import check_table
from tunelab.entities import DataError

PROSE = (
    "It was the best of times, it was the worst of times, it was the age of wisdom.\n"
    "We had everything before us, we had nothing before us.\n"
    "In short, the period was so far like the present period.\n"
    "Some of its noisiest authorities insisted on its being received.\n"
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (PROSE, "same number of fields"),
        ("alpha\nbeta\ngamma\n", "at least 2 columns"),
        ("a,b\n1,2,3\n4,5,6\n7,8,9\n", "first line has 2 fields but the rows have 3"),
        (
            "the first column is described here at length,and a second one as well here\n"
            "1,2\n3,4\n",
            "reads as text",
        ),
    ],
)
def test_what_is_not_a_table(text: str, words: str) -> None:
    with pytest.raises(DataError, match=words) as caught:
        check_table(text.encode(), "story.txt")
    assert "'story.txt'" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "x,y\n1,2\n3,4\n",
        "이름;점수\n가;1\n나;2\n",
        "note,score\n" + "".join(f"a long free text comment {i},{i}\n" for i in range(9)),
    ],
)
def test_tables_pass(text: str) -> None:
    check_table(text.encode(), "t.csv")


def test_binary_formats_are_checked_by_their_signature() -> None:
    check_table(b"PAR1....", "t.parquet")
    check_table(b"PK\x03\x04....", "t.xlsx")
    with pytest.raises(DataError, match="not a parquet file"):
        check_table(b"a,b\n1,2\n", "t.parquet")
    with pytest.raises(DataError, match="binary data"):
        check_table(b"a,b\n1,\x00\n", "t.csv")
