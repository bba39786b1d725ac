"""The pre-login pipeline on a tiny hand-made log."""

import numpy as np
import pandas as pd
import pytest

from tunelab.entities import DataError
from tunelab.recipes.gender import FEATURES, build_features, keyword_table, product_table

T0 = pd.Timestamp("2025-08-14T10:00:00Z")


def _row(sid: str, sec: int, seq: int, state: str, uid: str | None = None, **kw: object) -> dict:
    return {
        "session_id": sid, "event_id": f"{seq:064x}", "user_id": uid,
        "gender": kw.pop("gender", "F" if uid else None), "age": 30 if uid else None,
        "current_state": state, "next_state": None, "search_count": kw.pop("sc", 0),
        "cart_item_count": 0, "page_depth": kw.pop("depth", 1),
        "last_action_elapsed": 1.0, "timestamp": T0 + pd.Timedelta(seconds=sec),
        "session_duration": float(sec), "avg_response_time": 0.05,
        "category_name": kw.pop("cat", None), "search_keyword": kw.pop("kw", None),
        "product_id": kw.pop("pid", None), "event_seq": seq,
    }  # fmt: skip


def _log() -> pd.DataFrame:
    rows = [
        # s1: 4 pre-login rows; product 103 (Fashion), keyword "bag" (None), category Home
        _row("s1", 0, 0, "/"),
        _row("s1", 1, 1, "/product", pid="103"),
        _row("s1", 2, 2, "/search", kw="bag", sc=1),
        _row("s1", 3, 3, "/category", cat="<b>Home</b>"),
        # the login row and the first user row share a second: event_seq orders them
        _row("s1", 5, 5, "/", uid="u1"),
        _row("s1", 5, 4, "/login"),
        _row("s1", 6, 6, "/product", uid="u1", pid="111"),
        # s2: one pre-login row only -> dropped with min_prelogin_events=2
        _row("s2", 0, 10, "/login"),
        _row("s2", 1, 11, "/", uid="u2", gender="male"),
        # s3: never logs in -> no label
        _row("s3", 0, 20, "/"),
        _row("s3", 1, 21, "/search", kw="Laptop", sc=1),
    ]
    return pd.DataFrame(rows)


def test_features_of_a_hand_made_log() -> None:
    log = _log()
    kw = keyword_table(log["search_keyword"])
    users = pd.DataFrame({"user_id": ["u1", "u2"], "age": [61, 20], "behaviour_age": [22, 40]})
    out = build_features(log, product_table(), kw, users=users)
    assert out["session_id"].tolist() == ["s1"]
    assert list(out.columns) == [
        "session_id",
        "user_id",
        *FEATURES,
        "gender",
        "behaviour_age",
        "db_age",
    ]
    r = out.iloc[0]
    assert (r["user_id"], r["gender"], r["behaviour_age"], r["db_age"]) == ("u1", "F", 22, 61)
    assert r["n_events"] == 5  # /, /product, /search, /category, /login
    assert r["cat_cnt::Fashion"] == 1
    assert r["cat_cnt::Home"] == 1
    assert r["cat_cnt::Books"] == 0  # the post-login product never counts
    assert r["cat_prop::Home"] == pytest.approx(0.2)
    assert r["cat_log::Fashion"] == pytest.approx(np.log(2))
    assert r["unique_categories"] == 2
    assert r["unique_pages"] == 5
    assert r["search_count_sum"] == 1
    assert r["start_hour"] == 10
    assert r["start_weekday"] == 3


def test_min_prelogin_events_and_label_normalisation() -> None:
    log = _log()
    out = build_features(log, product_table(), keyword_table(log["search_keyword"]),
                         min_prelogin_events=1)  # fmt: skip
    assert out.set_index("session_id")["gender"].to_dict() == {"s1": "F", "s2": "M"}


def test_missing_column_is_named() -> None:
    with pytest.raises(DataError, match="current_state"):
        build_features(_log().drop(columns="current_state"), product_table(), keyword_table(
            pd.Series([], dtype=str)))  # fmt: skip
