"""The simulator reproduces the lab's traffic generator (gender_lab.md §1, §8)."""

import numpy as np
import pandas as pd
import pytest

from tunelab.entities import ConfigError
from tunelab.recipes.gender import Simulation, simulate
from tunelab.recipes.gender import _catalog as cat
from tunelab.recipes.gender._simulator import LAB_COLUMNS

LAB_17 = [
    "session_id", "event_id", "user_id", "gender", "age", "current_state", "next_state",
    "search_count", "cart_item_count", "page_depth", "last_action_elapsed", "timestamp",
    "session_duration", "avg_response_time", "category_name", "search_keyword", "product_id",
]  # fmt: skip


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(3000, seed=7)


def test_event_log_has_the_lab_columns_then_the_sequence_number(sim: Simulation) -> None:
    assert list(LAB_COLUMNS) == LAB_17
    assert list(sim.events.columns) == [*LAB_17, "event_seq"]
    assert sim.events["event_seq"].is_monotonic_increasing
    assert sim.events["event_id"].str.len().eq(64).all()
    assert len(sim.sessions) >= 3000


def test_same_seed_same_log_and_other_seed_other_log() -> None:
    a, b, c = simulate(200, seed=1), simulate(200, seed=1), simulate(200, seed=2)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.users, b.users)
    assert not a.events["event_id"].equals(c.events["event_id"].iloc[: len(a.events)])


def test_login_row_is_anonymous_and_every_later_row_has_the_user(sim: Simulation) -> None:
    ev = sim.events.sort_values(["session_id", "event_seq"])
    for sid, rows in list(ev.groupby("session_id"))[:150]:
        has_uid = rows["user_id"].notna().to_numpy()
        states = rows["current_state"].to_numpy()
        if "/login" not in states:
            assert not has_uid.any(), sid
            continue
        i = int(np.flatnonzero(states == "/login")[0])
        assert not has_uid[: i + 1].any()
        end = len(states)
        for j in range(i + 1, len(states)):  # /logout and /delete_user end the user's rows
            if states[j] in ("/logout", "/delete_user"):
                end = j + 1
                break
        assert has_uid[i + 1 : end].all()
        assert rows["gender"].iloc[i + 1 : end].isin(["M", "F"]).all()


def test_values_come_from_the_catalog(sim: Simulation) -> None:
    ev = sim.events
    assert set(ev["category_name"].dropna()) <= set(cat.CATEGORIES)
    assert set(ev["product_id"].dropna()) == {p.id for p in cat.PRODUCTS}
    pools = {k for pool in cat.KEYWORD_POOLS.values() for k in pool}
    assert set(ev["search_keyword"].dropna()) <= pools | set(cat.LOGGED_IN_KEYWORDS)
    anon = ev[ev["user_id"].isna()]
    assert set(anon["search_keyword"].dropna()) <= pools
    assert set(ev["current_state"]) <= {
        "/", "/products", "/product", "/categories", "/category", "/search", "/error",
        "/add_user", "/delete_user", "/login", "/logout", "/cart/add", "/cart/remove",
        "/cart/view", "/checkout", "/checkout_history", "/add_review",
    }  # fmt: skip
    assert ev.loc[ev["user_id"].isna(), "cart_item_count"].eq(0).all()


def test_users_table_keeps_db_age_and_behaviour_age(sim: Simulation) -> None:
    users = sim.users
    assert list(users.columns) == ["user_id", "gender", "age", "behaviour_age"]
    assert users["age"].between(18, 70).all()
    assert users["behaviour_age"].between(18, 70).all()
    # the registration bug: the DB age is an independent draw
    assert (users["age"] != users["behaviour_age"]).mean() > 0.9
    logged = sim.events.dropna(subset=["user_id"]).drop_duplicates("user_id")
    merged = logged.merge(users, on="user_id", suffixes=("_log", ""))
    assert (merged["age_log"].astype(int) == merged["age"]).all()


def test_documented_per_event_probabilities() -> None:
    p = cat.category_probabilities("F", "young")
    assert p["Fashion"] == pytest.approx(0.313, abs=1e-3)
    assert p["Home"] == pytest.approx(0.124, abs=1e-3)
    p = cat.category_probabilities("M", "middle")
    assert p["Gaming"] == pytest.approx(0.262, abs=1e-3)
    assert p["Books"] == pytest.approx(0.107, abs=1e-3)
    p = cat.category_probabilities("M", "old")
    assert p["Books"] == pytest.approx(0.394, abs=1e-3)
    assert p["Fashion"] == pytest.approx(0.151, abs=1e-3)
    assert cat.segment_prior() == pytest.approx(
        {"young": 7 / 53, "middle": 25 / 53, "old": 21 / 53}
    )


def _true_category(row: pd.Series) -> str | None:
    if isinstance(row["product_id"], str):
        return cat.PRODUCT_CATEGORY[row["product_id"]]
    if isinstance(row["category_name"], str):
        return row["category_name"]
    if isinstance(row["search_keyword"], str):
        return next(c for c, pool in cat.KEYWORD_POOLS.items() if row["search_keyword"] in pool)
    return None


def test_anonymous_category_draws_follow_gender_and_behaviour_age(sim: Simulation) -> None:
    ev = sim.events
    anon = ev[ev["user_id"].isna()].copy()
    anon = anon[anon["current_state"].isin(["/product", "/category", "/search"])]
    anon["cat"] = anon.apply(_true_category, axis=1)
    owner = sim.sessions.set_index("session_id")
    anon = anon[anon["session_id"].isin(owner.index)]
    anon["g"] = anon["session_id"].map(owner["gender"])
    anon["seg"] = anon["session_id"].map(owner["behaviour_age"]).map(cat.age_segment)
    for (g, seg), part in anon.groupby(["g", "seg"]):
        expected = cat.category_probabilities(g, seg)
        n = len(part)
        freq = part["cat"].value_counts(normalize=True)
        for c in cat.CATEGORIES:
            se = np.sqrt(expected[c] * (1 - expected[c]) / n)
            assert abs(freq.get(c, 0.0) - expected[c]) < 4 * se + 1e-3, (g, seg, c)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("/categories", {"/category": 0.4, "/search": 0.2, "/error": 0.1}),
        ("/search", {"/product": 0.3, "/search": 0.2, "/error": 0.1}),
        ("/product", {"/products": 0.2, "/search": 0.2, "/categories": 0.1, "/error": 0.1}),
    ],
)
def test_anonymous_transition_frequencies(
    sim: Simulation, state: str, expected: dict[str, float]
) -> None:
    ev = sim.events
    anon = ev[ev["user_id"].isna() & (ev["current_state"] == state)]
    n = len(anon)
    freq = anon["next_state"].value_counts() / n
    for nxt, p in expected.items():
        assert abs(freq.get(nxt, 0.0) - p) < 4 * np.sqrt(p * (1 - p) / n), (state, nxt)


def test_monte_carlo_shape_of_the_lab(sim: Simulation) -> None:
    n_pre = sim.sessions["n_prelogin"]
    assert 8 <= n_pre.median() <= 12
    true = sim.sessions[[f"true::{c}" for c in cat.CATEGORIES]].to_numpy()
    assert 0.2 < true.sum() / n_pre.sum() < 0.3
    assert 0.1 < np.mean(true.sum(axis=1) == 0) < 0.2


def test_rejects_a_non_positive_size() -> None:
    with pytest.raises(ConfigError, match="n_sessions"):
        simulate(0)
