"""The diary's table steps: Excel export and import, left join, fill, de-duplication."""

from pathlib import Path

import pandas as pd

from tunelab.entities import ConfigError

KEYS = ["accountId", "productId"]


def export_excel(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` to ``path`` as .xlsx (openpyxl), without the index, as the diary does."""
    frame.to_excel(path, index=False, engine="openpyxl")
    return path


def read_excel(path: Path, required: list[str]) -> pd.DataFrame:
    """An .xlsx table; ConfigError naming the file and the missing columns."""
    frame = pd.read_excel(path, engine="openpyxl")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path} lacks the column(s) {', '.join(missing)}")
    return frame


def merge(orders: pd.DataFrame, view_counts: pd.DataFrame) -> pd.DataFrame:
    """Left join of the order items with the view counts on (accountId, productId)."""
    if view_counts.duplicated(KEYS).any():
        raise ConfigError("view counts list an (accountId, productId) pair twice")
    return orders.merge(view_counts, on=KEYS, how="left", validate="many_to_one")


def fill_missing_views(merged: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """View counts missing after the join set to 0; returns the table and how many were."""
    missing = int(merged["viewCount"].isna().sum())
    return merged.assign(viewCount=merged["viewCount"].fillna(0)), missing


def drop_duplicate_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (accountId, productId): the first, as ``keep='first'`` in the diary."""
    return frame.drop_duplicates(subset=KEYS, keep="first").reset_index(drop=True)
