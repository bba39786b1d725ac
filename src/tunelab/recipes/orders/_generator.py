"""The course diary's data generator, seeded: 7 accounts, random orders, random view counts.

Faithful to the diary's Django script: an order has ``int(gauss(3, 1))`` items clipped to 1..5;
each item is a product drawn at random with ``int(gauss(5, 2))`` pieces clipped to 1..10 at
the product's price; every (account, product) pair gets a view count drawn uniformly from
1,000..10,000, independently of the orders. ``views_drive_quantity=True`` is the variant where
the view count does matter: an item's quantity is drawn around ``2 + 6 * (views - 1000) / 9000``
(2 pieces at 1,000 views, 8 at 10,000, sd 1.5), so a model has something to find.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tunelab.entities import ConfigError

N_ACCOUNTS = 7
N_PRODUCTS = 100
VIEWS_LOW, VIEWS_HIGH = 1_000, 10_000


@dataclass(frozen=True)
class OrdersData:
    """The two tables the diary exports: order items and view counts."""

    orders: pd.DataFrame  # accountId, productId, quantity, price (one row per order item)
    view_counts: pd.DataFrame  # accountId, productId, viewCount (one row per pair)


def _clipped_int_gauss(rng: np.random.Generator, mean: np.ndarray | float, sd: float,
                       low: int, high: int, size: int) -> np.ndarray:  # fmt: skip
    """``max(low, min(int(gauss(mean, sd)), high))`` as the diary writes it (int truncates)."""
    return np.clip(np.trunc(rng.normal(mean, sd, size)).astype(np.int64), low, high)


def generate(
    n_orders: int = 10_000,
    *,
    seed: int = 0,
    n_accounts: int = N_ACCOUNTS,
    n_products: int = N_PRODUCTS,
    views_drive_quantity: bool = False,
) -> OrdersData:
    """Accounts, products with prices, view counts per pair, then ``n_orders`` orders."""
    if n_orders < 1:
        raise ConfigError(f"orders must be >= 1, got {n_orders}")
    if n_accounts < 1 or n_products < 1:
        raise ConfigError(f"need >= 1 account and product, got {n_accounts}, {n_products}")
    rng = np.random.default_rng(seed)
    accounts = np.arange(1, n_accounts + 1)
    products = np.arange(1, n_products + 1)
    prices = rng.integers(10, 500, n_products) * 100  # won, a price per product
    pairs = pd.MultiIndex.from_product([accounts, products], names=["accountId", "productId"])
    views = rng.integers(VIEWS_LOW, VIEWS_HIGH + 1, len(pairs))
    view_counts = pd.DataFrame({"viewCount": views}, index=pairs).reset_index()

    order_account = rng.choice(accounts, n_orders)
    n_items = _clipped_int_gauss(rng, 3.0, 1.0, 1, 5, n_orders)
    item_account = np.repeat(order_account, n_items)
    item_product = rng.choice(products, len(item_account))
    if views_drive_quantity:
        table = views.reshape(n_accounts, n_products)
        pair_views = table[item_account - 1, item_product - 1]
        mean: np.ndarray | float = 2.0 + 6.0 * (pair_views - VIEWS_LOW) / (VIEWS_HIGH - VIEWS_LOW)
        sd = 1.5
    else:
        mean, sd = 5.0, 2.0
    quantity = _clipped_int_gauss(rng, mean, sd, 1, 10, len(item_account))
    orders = pd.DataFrame(
        {
            "accountId": item_account,
            "productId": item_product,
            "quantity": quantity,
            "price": prices[item_product - 1],
        }
    )
    return OrdersData(orders=orders, view_counts=view_counts)
