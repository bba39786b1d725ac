"""The lab's pipeline from the raw event log to one feature row per labelled session.

join (resolved_category) -> robust ordering -> pre-login segment -> label -> the lab's 24
features (``gender_lab.md`` §3-§4). ``user_id`` and ``behaviour_age`` are kept beside the
features for splitting and per-age metrics, never as features.
"""

import numpy as np
import pandas as pd

from tunelab.entities import DataError
from tunelab.recipes.gender._catalog import CATEGORIES
from tunelab.recipes.gender._mapping import normalise_keyword
from tunelab.recipes.gender._simulator import SEQ_COLUMN

NUMERIC_FEATURES: tuple[str, ...] = (
    "n_events", "search_count_sum", "cart_item_count_sum", "page_depth_mean",
    "last_elapsed_mean", "unique_pages", "unique_categories", "start_hour", "start_weekday",
)  # fmt: skip
CATEGORY_FEATURES: tuple[str, ...] = tuple(
    f"cat_{kind}::{c}" for kind in ("cnt", "prop", "log") for c in CATEGORIES
)
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORY_FEATURES
LABEL = "gender"
_REQUIRED = ("session_id", "user_id", "gender", "current_state", "timestamp")
_NULL_IDS = {"", "0", "-1", "none", "null", "nan"}
_TAGS = r"<[^>]*>"


def resolve_categories(
    events: pd.DataFrame, products: pd.DataFrame, keywords: pd.DataFrame
) -> pd.Series:
    """resolved_category = the product hit, else the keyword hit, else category_name."""
    prod_map = dict(zip(products["product_id"].astype(str), products["category"], strict=True))
    kw_map = dict(zip(keywords["search_keyword"].astype(str), keywords["category"], strict=True))
    by_product = events["product_id"].map(lambda v: prod_map.get(str(v)) if pd.notna(v) else None)
    by_keyword = events["search_keyword"].map(
        lambda v: kw_map.get(normalise_keyword(str(v))) if pd.notna(v) else None
    )
    by_name = events["category_name"].astype("str").str.replace(_TAGS, "", regex=True).str.strip()
    out = by_product.where(by_product.notna(), by_keyword)
    out = out.where(out.notna(), by_name)
    return out.where(out.isin(CATEGORIES)).astype("str")


def has_user_id(user_id: pd.Series) -> np.ndarray:
    """True where user_id is non-null and not one of "", 0, -1, None, null, NaN."""
    text = user_id.astype("str").str.strip().str.lower()
    return (user_id.notna() & ~text.isin(_NULL_IDS)).to_numpy(dtype=bool)


def prelogin_rows(events: pd.DataFrame) -> pd.DataFrame:
    """Sorted rows before each session's first user-id row, with ``label`` and ``label_user``.

    Ordering is (session_id, timestamp, event_seq) when the log has the simulator's sequence
    number, so ties within a second cannot put the login boundary in the wrong place (defect
    §9.8); otherwise (session_id, timestamp, event_id) like the lab.
    """
    missing = [c for c in _REQUIRED if c not in events.columns]
    if missing:
        raise DataError(f"event log is missing column(s) {missing}")
    df = events.dropna(subset=["session_id", "timestamp"])
    tie = SEQ_COLUMN if SEQ_COLUMN in df.columns else "event_id"
    df = df.sort_values(["session_id", "timestamp", tie], kind="stable").reset_index(drop=True)
    uid = has_user_id(df["user_id"])
    seen = pd.Series(uid).groupby(df["session_id"].to_numpy()).cumsum().to_numpy() > 0
    gender = df["gender"].astype("str").str.strip().str.upper()
    gender = gender.replace({"FEMALE": "F", "MALE": "M"})
    gender = gender.where(gender.isin(["M", "F"]))
    first = pd.DataFrame({"session_id": df["session_id"], "g": gender, "u": df["user_id"]})
    first["u"] = first["u"].where(uid)
    labels = first.dropna(subset=["g"]).groupby("session_id", sort=False)["g"].first()
    users = first.dropna(subset=["u"]).groupby("session_id", sort=False)["u"].first()
    pre = df.loc[~seen].copy()
    pre["label"] = pre["session_id"].map(labels)
    pre["label_user"] = pre["session_id"].map(users)
    return pre


def build_features(
    events: pd.DataFrame,
    products: pd.DataFrame,
    keywords: pd.DataFrame,
    *,
    min_prelogin_events: int = 2,
    users: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per labelled session with at least ``min_prelogin_events`` pre-login rows.

    Returns the columns session_id, user_id, the 24 features, ``gender`` (F/M) and, when
    ``users`` (user_id, behaviour_age, age) is given, ``behaviour_age`` and ``db_age``.
    """
    pre = prelogin_rows(events)
    pre = pre.loc[pre["label"].notna()].copy()
    pre["resolved_category"] = resolve_categories(pre, products, keywords)
    key = pre["session_id"]
    g = pre.groupby(key, sort=True)
    ts = pd.to_datetime(g["timestamp"].first(), utc=True)
    out = pd.DataFrame(
        {
            "n_events": g.size(),
            "search_count_sum": g["search_count"].sum(),
            "cart_item_count_sum": g["cart_item_count"].sum(),
            "page_depth_mean": g["page_depth"].mean(),
            "last_elapsed_mean": g["last_action_elapsed"].mean(),
            "unique_pages": g["current_state"].nunique(),
            "unique_categories": g["resolved_category"].nunique(),
            "start_hour": ts.dt.hour,
            "start_weekday": ts.dt.day_of_week,
        }
    )
    counts = pd.crosstab(key, pre["resolved_category"]).reindex(
        index=out.index, columns=list(CATEGORIES), fill_value=0
    )
    for c in CATEGORIES:
        out[f"cat_cnt::{c}"] = counts[c].astype("int64")
    for c in CATEGORIES:
        out[f"cat_prop::{c}"] = counts[c] / out["n_events"]
    for c in CATEGORIES:
        out[f"cat_log::{c}"] = np.log1p(counts[c].astype(float))
    out = out.loc[out["n_events"] >= min_prelogin_events]
    out.insert(0, "user_id", g["label_user"].first().reindex(out.index).astype("str"))
    out[LABEL] = g["label"].first().reindex(out.index).astype("str")
    out = out.rename_axis("session_id").reset_index()
    out["session_id"] = out["session_id"].astype("str")
    if users is not None:
        ages = users.set_index("user_id")
        out["behaviour_age"] = out["user_id"].map(ages["behaviour_age"]).astype("Int64")
        out["db_age"] = out["user_id"].map(ages["age"]).astype("Int64")
    return out
