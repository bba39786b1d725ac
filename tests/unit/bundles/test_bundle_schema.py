"""Prediction input validation against a bundle's schema, and the trust lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tunelab.bundles import ColumnSchema, infer_input_schema, is_trusted, validate_frame
from tunelab.bundles._schema import MAX_CATEGORIES
from tunelab.entities import SchemaError


@pytest.fixture
def schema() -> list[ColumnSchema]:
    X = pd.DataFrame(
        {
            "age": [31.0, 42.5, np.nan],
            "city": ["seoul", "busan", "seoul"],
            "member": [True, False, True],
            "joined": pd.to_datetime(["2020-01-01", "2021-05-02", "2022-03-04"]),
        }
    )
    return infer_input_schema(X)


def test_inferred_kinds(schema: list[ColumnSchema]) -> None:
    kinds = {c.name: c.kind for c in schema}
    assert kinds == {
        "age": "numeric",
        "city": "categorical",
        "member": "boolean",
        "joined": "datetime",
    }
    nullable = {c.name: c.nullable for c in schema}
    assert nullable["age"]
    assert not nullable["city"]


def test_valid_frame_coerced(schema: list[ColumnSchema]) -> None:
    df = pd.DataFrame(
        {
            "joined": ["2023-01-01", None],
            "member": ["yes", "false"],
            "city": ["daegu", "seoul"],
            "age": ["33", " 40.5 "],
        },
        index=[10, 11],
    )
    out = validate_frame(df, schema)
    assert list(out.columns) == ["age", "city", "member", "joined"]
    assert out["age"].tolist() == [33.0, 40.5]
    assert out["member"].tolist() == [True, False]
    assert pd.api.types.is_datetime64_any_dtype(out["joined"])
    assert list(out.index) == [10, 11]


def test_empty_frame(schema: list[ColumnSchema]) -> None:
    with pytest.raises(SchemaError, match="no rows"):
        validate_frame(pd.DataFrame(columns=["age", "city", "member", "joined"]), schema)


def test_missing_columns_named(schema: list[ColumnSchema]) -> None:
    with pytest.raises(SchemaError, match="city, member"):
        validate_frame(pd.DataFrame({"age": [1.0], "joined": ["2020-01-01"]}), schema)


def test_bad_numeric_value_names_column_and_row(schema: list[ColumnSchema]) -> None:
    df = pd.DataFrame(
        {"age": ["31", "abc", "x"], "city": ["a"] * 3, "member": [True] * 3, "joined": [None] * 3},
        index=["r0", "r1", "r2"],
    )
    with pytest.raises(SchemaError, match=r"'age'.*'abc'.*'r1'"):
        validate_frame(df, schema)


def test_bad_boolean_and_date_values(schema: list[ColumnSchema]) -> None:
    base = {"age": [1.0], "city": ["a"], "member": [True], "joined": ["2020-01-01"]}
    with pytest.raises(SchemaError, match="'member'"):
        validate_frame(pd.DataFrame({**base, "member": ["maybe"]}), schema)
    with pytest.raises(SchemaError, match="'joined'"):
        validate_frame(pd.DataFrame({**base, "joined": ["not a date"]}), schema)


def test_extra_columns_warn(schema: list[ColumnSchema]) -> None:
    df = pd.DataFrame(
        {"age": [1.0], "city": ["a"], "member": [True], "joined": ["2020-01-01"], "zzz": [1]}
    )
    with pytest.warns(UserWarning, match="zzz"):
        out = validate_frame(df, schema)
    assert "zzz" not in out.columns


def test_categories_capped() -> None:
    X = pd.DataFrame({"code": [f"c{i}" for i in range(MAX_CATEGORIES + 5)]})
    (col,) = infer_input_schema(X)
    assert col.categories is not None
    assert len(col.categories) == MAX_CATEGORIES
    assert col.categories_truncated
    assert ColumnSchema.from_dict(col.to_dict()) == col


@pytest.mark.parametrize(
    ("name", "trusted"),
    [
        ("lightgbm.basic.Booster", True),
        ("collections.OrderedDict", True),
        ("tunelab.preprocessing._model.TabularModel", True),
        ("numpy.mean", True),
        ("tunelab.preprocessing._pipeline.Thing", False),
        ("numpy.savetxt", False),
        ("numpy.ctypeslib.load_library", False),
        ("lightgbm.basic.Thing", False),
        ("os.system", False),
        ("builtins.eval", False),
        ("builtins.exec", False),
        ("subprocess.Popen", False),
        ("numpy.load", False),
        ("pandas.io.pickle.read_pickle", False),
        ("numpy.testing._private.utils.runstring", False),
        ("sklearnx.evil", False),
    ],
)
def test_trust_lists(name: str, trusted: bool) -> None:
    assert is_trusted(name) is trusted
