"""infer_column_kinds and coerce_frame on synthetic columns."""

import numpy as np
import pandas as pd
import pytest

from tunelab.data import coerce_frame, infer_column_kinds
from tunelab.entities import ColumnKind

N = 200
RNG = np.random.default_rng(0)


def _kind(values: object, name: str = "col") -> ColumnKind:
    return infer_column_kinds(pd.DataFrame({name: values}))[name]


def test_floats_are_numeric_even_when_unique() -> None:
    assert _kind(RNG.normal(size=N)) is ColumnKind.NUMERIC
    assert _kind(RNG.normal(size=N), name="user_id") is ColumnKind.NUMERIC


def test_low_cardinality_integers_stay_numeric() -> None:
    assert _kind(RNG.integers(0, 5, size=N)) is ColumnKind.NUMERIC


@pytest.mark.parametrize("name", ["id", "user_id", "customerId", "ORDER ID", "row.key"])
def test_unique_integers_named_like_ids(name: str) -> None:
    assert _kind(RNG.permutation(N) + 1000, name=name) is ColumnKind.ID


def test_unique_increasing_integers_are_ids_whatever_the_name() -> None:
    assert _kind(np.arange(N) * 3, name="row") is ColumnKind.ID


def test_unique_shuffled_integers_with_plain_name_are_numeric() -> None:
    assert _kind(RNG.permutation(N), name="amount") is ColumnKind.NUMERIC


def test_repeated_integer_codes_named_like_ids_are_categorical() -> None:
    assert _kind(RNG.integers(0, 30, size=N), name="MGR_ID") is ColumnKind.CATEGORICAL


def test_paid_and_valid_are_not_id_names() -> None:
    assert _kind(RNG.permutation(N), name="paid") is ColumnKind.NUMERIC
    assert _kind(RNG.permutation(N), name="valid") is ColumnKind.NUMERIC


def test_unique_code_strings_are_ids() -> None:
    assert _kind([f"CUST{i:05d}" for i in range(N)], name="customer") is ColumnKind.ID


def test_strings_are_categorical() -> None:
    assert _kind(RNG.choice(["red", "green", "blue"], size=N)) is ColumnKind.CATEGORICAL


def test_ten_thousand_levels_is_categorical_not_id() -> None:
    values = [f"level{i % 10_000}" for i in range(30_000)]
    assert _kind(values, name="shop") is ColumnKind.CATEGORICAL


def test_booleans() -> None:
    assert _kind(RNG.integers(0, 2, size=N).astype(bool)) is ColumnKind.BOOLEAN
    assert _kind(["True", "false", None, "TRUE"] * 10) is ColumnKind.BOOLEAN
    assert _kind(pd.Series([True, False, None] * 10, dtype=object)) is ColumnKind.BOOLEAN
    assert _kind(["yes", "no"] * 10) is ColumnKind.CATEGORICAL


def test_datetimes() -> None:
    stamps = pd.date_range("2024-01-01", periods=N, freq="h")
    assert _kind(stamps) is ColumnKind.DATETIME
    assert _kind(stamps.strftime("%Y-%m-%d %H:%M")) is ColumnKind.DATETIME
    assert _kind(stamps.strftime("%d/%m/%Y")) is ColumnKind.DATETIME
    mostly = list(stamps.strftime("%Y-%m-%d")[:195]) + ["unknown"] * 5
    assert _kind(mostly) is ColumnKind.DATETIME


def test_words_that_dateutil_might_parse_are_not_dates() -> None:
    assert _kind(["may", "june", "mon", "tue"] * 20) is ColumnKind.CATEGORICAL


def test_long_free_text_is_text() -> None:
    words = np.array(
        [
            "the",
            "quick",
            "brown",
            "fox",
            "jumps",
            "over",
            "a",
            "lazy",
            "dog",
            "near",
            "river",
            "bank",
        ]
    )
    texts = [" ".join(RNG.choice(words, size=12)) for _ in range(N)]
    assert _kind(texts, name="review") is ColumnKind.TEXT


def test_short_repeated_phrases_are_categorical() -> None:
    assert _kind(["new york", "los angeles"] * 50) is ColumnKind.CATEGORICAL


def test_mixed_mostly_numbers_are_numeric() -> None:
    values = [str(x) for x in RNG.normal(size=196)] + ["n/a", "?", "-", "error"]
    assert _kind(values) is ColumnKind.NUMERIC
    mixed = pd.Series([*list(RNG.normal(size=97)), "x", "y", "z"], dtype=object)
    assert _kind(mixed) is ColumnKind.NUMERIC  # 97% numbers


def test_mixed_with_many_strings_is_categorical() -> None:
    mixed = pd.Series(list(RNG.integers(0, 9, size=90)) + ["x"] * 10, dtype=object)
    assert _kind(mixed) is ColumnKind.CATEGORICAL


def test_zero_padded_codes_stay_categorical() -> None:
    assert _kind(["01234", "00501", "12345", "02139"] * 10, name="zip") is ColumnKind.CATEGORICAL


def test_all_missing_is_categorical() -> None:
    assert _kind([np.nan] * 10) is ColumnKind.CATEGORICAL
    assert _kind(pd.Series([None] * 10, dtype=object)) is ColumnKind.CATEGORICAL


def test_category_dtype_is_categorical() -> None:
    s = pd.Series(["a", "b"] * 10, dtype="category").cat.add_categories(["unused"])
    assert _kind(s) is ColumnKind.CATEGORICAL


def test_keyword_and_korean_names_work() -> None:
    df = pd.DataFrame({"class": [1.0, 2.0], "나이": ["a", "b"], "def ault": [True, False]})
    assert infer_column_kinds(df) == {
        "class": ColumnKind.NUMERIC,
        "나이": ColumnKind.CATEGORICAL,
        "def ault": ColumnKind.BOOLEAN,
    }


def test_coerce_frame_converts_every_kind() -> None:
    df = pd.DataFrame(
        {
            "num": pd.Series(["1.5", "x", None, "4"], dtype=object),
            "when": ["2024-01-02", "2024-02-03", None, "garbage"],
            "flag": ["yes", "No", None, "maybe"],
            "cat": [1.0, 2.0, np.nan, 1.0],
            "mixed": pd.Series([1, "a", None, 2.5], dtype=object),
        }
    )
    kinds = {
        "num": ColumnKind.NUMERIC,
        "when": ColumnKind.DATETIME,
        "flag": ColumnKind.BOOLEAN,
        "cat": ColumnKind.CATEGORICAL,
        "mixed": ColumnKind.TEXT,
    }
    out = coerce_frame(df, kinds)
    assert out["num"].dtype == np.float64
    assert out["num"].tolist()[0] == 1.5
    assert out["num"].isna().tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert pd.api.types.is_datetime64_any_dtype(out["when"])
    assert out["when"].isna().tolist() == [False, False, True, True]
    assert out["flag"].tolist()[:2] == [1.0, 0.0]
    assert out["flag"].isna().sum() == 2
    assert out["cat"].dtype == object
    assert out["cat"].tolist()[:2] == ["1", "2"]
    assert np.isnan(out["cat"].iloc[2])
    assert out["mixed"].tolist()[:2] == ["1", "a"]
    assert out["mixed"].tolist()[3] == "2.5"
    assert df["num"].tolist()[1] == "x"  # the input is untouched


def test_coerce_frame_keeps_unlisted_columns() -> None:
    df = pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]})
    out = coerce_frame(df, {"a": ColumnKind.NUMERIC})
    assert out["a"].tolist() == [1.0, 2.0]
    assert out["b"].tolist() == ["x", "y"]
