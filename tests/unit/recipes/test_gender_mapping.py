"""Mapping tables built from the simulated shop's catalog and search."""

from pathlib import Path

import pandas as pd
import pytest

from tunelab.entities import DataError
from tunelab.recipes.gender import (
    keyword_category,
    keyword_table,
    load_mappings,
    product_table,
    save_mappings,
    search,
)


def test_search_matches_name_or_category_case_insensitively() -> None:
    assert [p.id for p in search("MOUSE")] == ["106"]
    assert {p.category for p in search("home")} == {"Home"}
    assert search("") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bag", None),  # in the Fashion pool, but nothing in the shop matches it
        ("cofee", None),
        ("iphon", None),
        ("labtop", None),
        ("rayban", None),
        ("camera", None),
        ("blu tooth", None),
        ("Bluetooth", "Electronics"),
        ("phone", "Electronics"),
        ("mouse", "Electronics"),  # "Gaming Mouse" is an Electronics product
        ("book", "Books"),
        ("coffee", "Home"),
        ("Fashion", "Fashion"),
    ],
)
def test_keyword_category(query: str, expected: str | None) -> None:
    assert keyword_category(query) == expected


def test_keyword_table_normalises_and_keeps_unresolved_keywords() -> None:
    raw = pd.Series(["Laptop", "laptop", "blu%20tooth", "bag", None, "", "Sneakers"])
    table = keyword_table(raw)
    assert table["search_keyword"].tolist() == ["bag", "blu tooth", "laptop", "sneakers"]
    mapped = table.set_index("search_keyword")["category"]
    assert mapped.isna().tolist() == [True, True, False, False]
    assert mapped.dropna().to_dict() == {
        "laptop": "Electronics",
        "sneakers": "Fashion",
    }


def test_product_table_is_the_catalog() -> None:
    table = product_table()
    assert len(table) == 24
    assert table.set_index("product_id").loc["124", "category"] == "Fashion"


def test_save_and_load_round_trip_and_detect_tampering(tmp_path: Path) -> None:
    products = product_table()
    keywords = keyword_table(pd.Series(["bag", "mug"]))
    manifest = save_mappings(tmp_path, products, keywords)
    assert manifest.name == "mappings.v1.json"
    assert (tmp_path / "product_category.v1.csv").is_file()
    p2, k2 = load_mappings(tmp_path)
    assert p2["product_id"].tolist() == products["product_id"].tolist()
    assert k2.set_index("search_keyword")["category"].isna().tolist() == [True, False]
    (tmp_path / "keyword_category.v1.csv").write_text("search_keyword,category\nbag,Home\n")
    with pytest.raises(DataError, match=r"keyword_category\.v1\.csv"):
        load_mappings(tmp_path)
