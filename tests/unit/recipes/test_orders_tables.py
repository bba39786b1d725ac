"""The orders recipe's generator and table steps (join, fill, de-duplication)."""

import numpy as np
import pandas as pd
import pytest

from tunelab.entities import ConfigError
from tunelab.recipes.orders import drop_duplicate_pairs, fill_missing_views, generate, merge


def test_generator_is_seeded_and_follows_the_diary() -> None:
    a, b = generate(300, seed=5), generate(300, seed=5)
    pd.testing.assert_frame_equal(a.orders, b.orders)
    assert not generate(300, seed=6).orders.equals(a.orders)
    assert list(a.orders.columns) == ["accountId", "productId", "quantity", "price"]
    assert a.orders["quantity"].between(1, 10).all()
    assert 300 <= len(a.orders) <= 1500  # 1..5 items per order
    assert set(a.orders["accountId"]) <= set(range(1, 8))
    assert len(a.view_counts) == 7 * 100
    assert a.view_counts["viewCount"].between(1_000, 10_000).all()
    # the product's price is the same on every item
    assert (a.orders.groupby("productId")["price"].nunique() == 1).all()


def test_quantity_depends_on_views_only_in_the_variant() -> None:
    def corr(views_drive: bool) -> float:
        data = generate(3000, seed=0, views_drive_quantity=views_drive)
        merged = merge(data.orders, data.view_counts)
        return float(np.corrcoef(merged["viewCount"], merged["quantity"])[0, 1])

    assert abs(corr(False)) < 0.05
    assert corr(True) > 0.5


def test_join_fill_and_dedupe() -> None:
    orders = pd.DataFrame(
        {"accountId": [1, 1, 2, 3], "productId": [10, 10, 10, 11], "quantity": [4, 7, 2, 1],
         "price": [100, 100, 100, 50]}
    )  # fmt: skip
    views = pd.DataFrame({"accountId": [1, 2], "productId": [10, 10], "viewCount": [1500, 9000]})
    merged = merge(orders, views)
    assert len(merged) == 4
    filled, missing = fill_missing_views(merged)
    assert missing == 1
    assert filled["viewCount"].tolist() == [1500, 1500, 9000, 0]
    unique = drop_duplicate_pairs(filled)
    assert unique["quantity"].tolist() == [4, 2, 1]  # the first of (1, 10) kept
    with pytest.raises(ConfigError, match="twice"):
        merge(orders, pd.concat([views, views]))
