"""read_table: every supported format, sniffing, and every kind of bad file."""

from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest

from tunelab.data import SUPPORTED_EXTENSIONS, read_table
from tunelab.entities import DataError

KOREAN = "이름,나이,도시\n홍길동,30,서울\n김철수,25,부산\n이영희,41,대구\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_korean_text_in_every_common_encoding(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / "people.csv", KOREAN, encoding)
    df = read_table(path)
    assert list(df.columns) == ["이름", "나이", "도시"]
    assert df["이름"].tolist() == ["홍길동", "김철수", "이영희"]
    assert df["나이"].tolist() == [30, 25, 41]


def test_bom_is_not_part_of_first_column_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.csv", "id,value\n1,2\n", "utf-8-sig")
    assert list(read_table(path).columns) == ["id", "value"]


def test_cp949_detected_in_a_larger_file(tmp_path: Path) -> None:
    rows = "".join(f"고객{i},{i * 3},서울특별시 강남구 {i}번지\n" for i in range(2000))
    path = _write(tmp_path / "big.csv", "고객명,금액,주소\n" + rows, "cp949")
    df = read_table(path)
    assert df.shape == (2000, 3)
    assert df["주소"].iloc[5] == "서울특별시 강남구 5번지"


@pytest.mark.parametrize(
    ("name", "sep"),
    [("data.tsv", "\t"), ("data.txt", ";"), ("data.csv", ";"), ("data.txt", "|")],
)
def test_delimiter_is_sniffed(tmp_path: Path, name: str, sep: str) -> None:
    text = sep.join(["a", "b c", "class"]) + "\n"
    text += "".join(
        sep.join([str(i), f"x,{i}" if sep != "," else "x", "1"]) + "\n" for i in range(5)
    )
    df = read_table(_write(tmp_path / name, text))
    assert list(df.columns) == ["a", "b c", "class"]
    assert df["a"].tolist() == [0, 1, 2, 3, 4]


def test_semicolon_file_with_decimal_commas_is_not_split_on_commas(tmp_path: Path) -> None:
    path = _write(tmp_path / "eu.txt", "price;qty\n1,5;2\n2,25;3\n3,0;4\n")
    df = read_table(path)
    assert list(df.columns) == ["price", "qty"]
    assert df["price"].tolist() == ["1,5", "2,25", "3,0"]


def test_forced_delimiter_is_used(tmp_path: Path) -> None:
    path = _write(tmp_path / "pipe.csv", "a|b\n1|2\n3|4\n")
    assert read_table(path, delimiter="|").shape == (2, 2)


def test_forced_wrong_delimiter_gives_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "semi.csv", "a;b;c\n1;2;3\n4;5;6\n")
    with pytest.raises(DataError, match=r"semi\.csv.*single column.*';'"):
        read_table(path, delimiter=",")


def test_wrong_delimiter_is_fixed_by_sniffing(tmp_path: Path) -> None:
    path = _write(tmp_path / "semi.csv", "a;b;c\n1;2;3\n4;5;6\n")
    assert list(read_table(path).columns) == ["a", "b", "c"]


def test_single_column_file_is_fine(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path / "one.csv", "value\n1\n2\n3\n"))
    assert df.shape == (3, 1)


def test_single_row_is_fine(tmp_path: Path) -> None:
    df = read_table(_write(tmp_path / "row.csv", "a,b\n1,x\n"))
    assert df.shape == (1, 2)


def test_column_names_keep_spelling_but_lose_surrounding_spaces(tmp_path: Path) -> None:
    path = _write(tmp_path / "names.csv", " class , my col,def, 한글 이름 \n1,2,3,4\n")
    assert list(read_table(path).columns) == ["class", "my col", "def", "한글 이름"]


def test_duplicate_columns_rejected(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"dup\.csv.*duplicate.*'a'"):
        read_table(_write(tmp_path / "dup.csv", "a,b,a\n1,2,3\n"))


def test_duplicates_after_stripping_rejected(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"duplicate"):
        read_table(_write(tmp_path / "dup.csv", "a, a\n1,2\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv.*not found"):
        read_table(tmp_path / "nope.csv")


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"empty\.csv.*empty"):
        read_table(_write(tmp_path / "empty.csv", ""))


def test_blank_lines_only_is_empty(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"empty"):
        read_table(_write(tmp_path / "blank.tsv", "\n\n  \n"))


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"head\.csv.*no data rows"):
        read_table(_write(tmp_path / "head.csv", "a,b,c\n"))


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"a,b\n" + bytes(range(0x80, 0x100)) * 8 + b"\x00\x01\x02")
    with pytest.raises(DataError, match=r"garbage\.csv"):
        read_table(path)


def test_wrong_forced_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path / "k.csv", KOREAN, "cp949")
    with pytest.raises(DataError, match=r"k\.csv.*not valid utf-8"):
        read_table(path, encoding="utf-8")
    with pytest.raises(DataError, match=r"unknown encoding"):
        read_table(path, encoding="no-such-codec")


def test_ragged_rows_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"rag\.csv"):
        read_table(_write(tmp_path / "rag.csv", "a,b\n1,2\n3,4,5,6\n"))


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.json", "{}")
    with pytest.raises(DataError, match=r"\.json.*\.csv.*\.parquet"):
        read_table(path)
    assert ".xlsx" in SUPPORTED_EXTENSIONS


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"x": [1.5, 2.5, np.nan], "종류": ["a", "b", "c"], "class": [0, 1, 0]},
    )


def test_xlsx_round_trip_and_sheet_choice(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _frame().to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"only": [7, 8]}).to_excel(writer, sheet_name="second", index=False)
    df = read_table(path)
    assert list(df.columns) == ["x", "종류", "class"]
    assert df["종류"].tolist() == ["a", "b", "c"]
    assert read_table(path, sheet="second")["only"].tolist() == [7, 8]
    assert read_table(path, sheet=1).shape == (2, 1)
    with pytest.raises(DataError, match=r"no sheet 'third'.*'first', 'second'"):
        read_table(path, sheet="third")


def test_xlsx_duplicate_headers_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.xlsx"
    pd.DataFrame([["a", "a"], [1, 2]]).to_excel(path, header=False, index=False)
    with pytest.raises(DataError, match=r"duplicate"):
        read_table(path)


def test_xlsx_header_only(tmp_path: Path) -> None:
    path = tmp_path / "head.xlsx"
    pd.DataFrame(columns=["a", "b"]).to_excel(path, index=False)
    with pytest.raises(DataError, match=r"no data rows"):
        read_table(path)


@pytest.mark.parametrize("name", ["bad.xlsx", "bad.xls", "bad.parquet"])
def test_corrupt_binary_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 this is not really a workbook or parquet file" * 10)
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        read_table(path)


def test_xlsx_renamed_to_xls_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xls"
    _frame().to_excel(tmp_path / "renamed.xlsx", index=False)
    (tmp_path / "renamed.xlsx").rename(path)
    assert read_table(path).shape == (3, 3)


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    _frame().to_parquet(path)
    df = read_table(path)
    pd.testing.assert_frame_equal(df, _frame(), check_dtype=False)


def test_file_url(tmp_path: Path) -> None:
    path = _write(tmp_path / "u.csv", "a,b\n1,2\n")
    assert read_table(path.as_uri()).shape == (1, 2)
    assert read_table(str(path)).shape == (1, 2)


def test_memory_url_csv_and_parquet() -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe("/tunelab-test/k.csv", KOREAN.encode("cp949"))
    buffer = fs.open("/tunelab-test/t.parquet", "wb")
    _frame().to_parquet(buffer)
    buffer.close()
    try:
        assert read_table("memory://tunelab-test/k.csv").shape == (3, 3)
        assert read_table("memory://tunelab-test/t.parquet")["class"].tolist() == [0, 1, 0]
        with pytest.raises(DataError, match=r"not found"):
            read_table("memory://tunelab-test/missing.csv")
    finally:
        fs.rm("/tunelab-test", recursive=True)
