"""A fast, seeded re-implementation of the lab's traffic generator (``gender_lab.md`` §8).

Requests become rows of the raw event log exactly as the lab's nginx -> Spark pipeline would
record them: only requests that carry a session cookie are logged (``/`` and ``/login`` set it,
``/logout`` clears it), the ``/login`` row is anonymous and every later row of the session has
the user id, gender and the (buggy) DB age. Every row also gets ``event_seq``, a global request
sequence number, so the login boundary can be ordered robustly (defect §9.8).
"""

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tunelab.entities import ConfigError
from tunelab.recipes.gender import _catalog as cat
from tunelab.recipes.gender import _fsm as fsm

LAB_COLUMNS: tuple[str, ...] = (
    "session_id", "event_id", "user_id", "gender", "age", "current_state", "next_state",
    "search_count", "cart_item_count", "page_depth", "last_action_elapsed", "timestamp",
    "session_duration", "avg_response_time", "category_name", "search_keyword", "product_id",
)  # fmt: skip
SEQ_COLUMN = "event_seq"
START_TIME = pd.Timestamp("2025-08-14T00:00:00Z")


@dataclass(frozen=True)
class Simulation:
    """Output of :func:`simulate`.

    Attributes:
        events: the raw event log: the lab's 17 columns, then ``event_seq``.
        users: one row per registered user: user_id, gender, age (DB), behaviour_age.
        sessions: ground truth per labelled session: session_id, user_id, gender,
            behaviour_age, n_prelogin (anonymous rows) and ``true::<Category>`` counts of the
            category draws made before login (the input of the Bayes posterior).
        n_users: users simulated, registered or not.
    """

    events: pd.DataFrame
    users: pd.DataFrame
    sessions: pd.DataFrame
    n_users: int


class _Uniforms:
    """U(0, 1) numbers from a numpy Generator, drawn in blocks (scalar draws are slow)."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.random(self._block).tolist()
            self._i = 0
        u = self._buf[self._i]
        self._i += 1
        return u


class _Chooser:
    """Draws a key of a probability table by inverse CDF."""

    def __init__(self, probs: Mapping[str, float]) -> None:
        self.keys = list(probs)
        total = float(sum(probs.values()))
        acc = 0.0
        self.cum: list[float] = []
        for k in self.keys:
            acc += probs[k] / total
            self.cum.append(acc)

    def draw(self, u: float) -> str:
        i = bisect_right(self.cum, u)
        return self.keys[min(i, len(self.keys) - 1)]


@dataclass
class _Columns:
    """Column buffers of the event log (one Python list per column)."""

    session: list[int] = field(default_factory=list)
    user: list[int] = field(default_factory=list)
    endpoint: list[str] = field(default_factory=list)
    search_count: list[int] = field(default_factory=list)
    cart: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    avg_resp: list[float] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)
    keyword: list[str | None] = field(default_factory=list)
    product: list[str | None] = field(default_factory=list)


@dataclass
class _Session:
    index: int
    start: float
    last: float = 0.0
    depth: int = 0
    searches: int = 0
    resp_sum: float = 0.0


class _Generator:
    """Simulates users one after the other; each user's requests are appended to the buffers."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.u = _Uniforms(self.rng)
        self.cols = _Columns()
        self.top = {s: _Chooser(row) for s, row in fsm.TOP.items()}
        self.anon = {s: _Chooser(row) for s, row in fsm.ANON.items()}
        self.logged = {s: _Chooser(row) for s, row in fsm.LOGGED.items()}
        self.cat_draw = {
            (g, s): _Chooser(cat.category_probabilities(g, s))
            for g in cat.GENDERS
            for s in cat.SEGMENTS
        }
        self.product_draw = {
            (g, s): _Chooser(cat.logged_in_product_probabilities(g, s))
            for g in cat.GENDERS
            for s in cat.SEGMENTS
        }
        self.n_sessions = 0
        self.n_users = 0
        self.labelled: list[dict[str, object]] = []
        self.users: list[tuple[int, str, int, int]] = []
        # per-user state, reset by _run_user
        self.sess: _Session | None = None
        self.uid = -1
        self.t = 0.0
        self.sleep = fsm.SLEEP_RANGE
        self.cart: dict[str, int] = {}
        self.truth: dict[str, int] = {}
        self.n_anon = 0

    # -- random helpers -------------------------------------------------------------------
    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.u()

    def randint(self, lo: int, hi: int) -> int:
        return lo + min(int(self.u() * (hi - lo + 1)), hi - lo)

    def pick(self, seq: tuple[str, ...] | list[str]) -> str:
        return seq[min(int(self.u() * len(seq)), len(seq) - 1)]

    # -- requests -------------------------------------------------------------------------
    def request(
        self,
        endpoint: str,
        category: str | None = None,
        keyword: str | None = None,
        product: str | None = None,
    ) -> None:
        """One HTTP request at time ``self.t``; logged only when it carries a session cookie."""
        resp = self.uniform(0.02, 0.12)
        sess = self.sess
        if sess is None:
            if endpoint in ("/", "/login"):  # no cookie on the request; the response sets one
                self.new_session()
        else:
            c = self.cols
            sess.depth += 1
            if endpoint == "/search":
                sess.searches += 1
            sess.resp_sum += resp
            c.session.append(sess.index)
            c.user.append(self.uid)
            c.endpoint.append(endpoint)
            c.search_count.append(sess.searches)
            c.cart.append(sum(self.cart.values()))
            c.depth.append(sess.depth)
            c.elapsed.append(0.0 if sess.depth == 1 else self.t - sess.last)
            c.time.append(self.t)
            c.duration.append(self.t - sess.start)
            c.avg_resp.append(sess.resp_sum / sess.depth)
            c.category.append(category)
            c.keyword.append(keyword)
            c.product.append(product)
            sess.last = self.t
            if self.uid < 0:
                self.n_anon += 1
        self.t += resp

    def new_session(self) -> None:
        self.sess = _Session(index=self.n_sessions, start=self.t)
        self.n_sessions += 1
        self.truth = dict.fromkeys(cat.CATEGORIES, 0)
        self.n_anon = 0
        self.cart = {}

    def wait(self, bounds: tuple[float, float]) -> None:
        self.t += self.uniform(*bounds)

    # -- sub-machines ---------------------------------------------------------------------
    def anon_sub_fsm(self, gender: str, segment: str) -> None:
        state = "Initial"
        draw = self.cat_draw[(gender, segment)]
        while state != fsm.DONE:
            if state in ("ViewProduct", "CategoryList", "Search"):
                c = draw.draw(self.u())
                if self.sess is not None:
                    self.truth[c] += 1
                if state == "ViewProduct":
                    self.request("/product", product=self.pick(cat.PRODUCTS_BY_CATEGORY[c]))
                elif state == "CategoryList":
                    self.request("/category", category=c)
                else:
                    self.request("/search", keyword=self.pick(cat.KEYWORD_POOLS[c]))
            elif state != "Initial":
                self.request(fsm.ENDPOINTS[state])
            self.wait(fsm.ACTION_SLEEP)
            state = self.anon[state].draw(self.u())
            self.wait(self.sleep)

    def logged_sub_fsm(self, gender: str, segment: str) -> None:
        state = "Initial"
        while state != fsm.DONE:
            if state == "ViewProduct":
                self.request("/product", product=self.preferred_product(gender, segment))
            elif state == "CategoryList":
                self.request("/category", category=self.pick(cat.PREFERENCES[(gender, segment)]))
            elif state == "Search":
                self.request("/search", keyword=self.pick(cat.LOGGED_IN_KEYWORDS))
            elif state == "CartAdd":
                pid = self.preferred_product(gender, segment)
                self.cart[pid] = self.cart.get(pid, 0) + self.randint(1, 5)
                self.request("/cart/add", product=pid)
            elif state == "CartRemove":
                self.request("/cart/view")
                if self.cart:
                    pid = self.pick(sorted(self.cart))
                    self.cart[pid] -= self.randint(1, self.cart[pid])
                    if self.cart[pid] <= 0:
                        del self.cart[pid]
                    self.request("/cart/remove", product=pid)
            elif state == "Checkout":
                self.request("/checkout")
                self.cart = {}
            elif state == "AddReview":
                self.request("/add_review", product=self.preferred_product(gender, segment))
            elif state != "Initial":
                self.request(fsm.ENDPOINTS[state])
            self.wait(fsm.ACTION_SLEEP)
            state = self.logged[state].draw(self.u())
            self.wait(self.sleep)

    def preferred_product(self, gender: str, segment: str) -> str:
        return self.product_draw[(gender, segment)].draw(self.u())

    # -- top level ------------------------------------------------------------------------
    def logged_in_next(self) -> str:
        probs = dict(fsm.TOP["Logged_In"])
        sess = self.sess
        if sum(self.cart.values()) >= 1:
            probs["Logged_Out"] *= fsm.CART_LOGOUT_BIAS
        else:
            probs[fsm.DONE] *= fsm.EMPTY_CART_DONE_BIAS
        if sess is not None:
            if (
                sess.depth >= fsm.DEEP_PAGE_DEPTH
                or self.t - sess.start >= fsm.LONG_SESSION_SECONDS
            ):
                probs["Logged_Out"] *= fsm.DEEP_LOGOUT_BIAS
            if self.t - sess.last >= fsm.IDLE_SECONDS:
                probs[fsm.DONE] *= fsm.IDLE_DONE_BIAS
        return _Chooser(probs).draw(self.u())

    def run_user(self, index_in_launch: int, start: float) -> float:
        """Simulates one user from ``start``; returns the time the user finishes."""
        self.t = start
        self.sess = None
        self.uid = -1
        self.cart = {}
        gender = "F" if index_in_launch % 2 == 0 else "M"
        age = self.randint(cat.AGE_MIN, cat.AGE_MAX)
        segment = cat.age_segment(age)
        user = self.n_users
        self.n_users += 1
        self.request("/")  # session.get(root): no cookie yet, so not logged; sets the cookie
        state = "Anon_NotRegistered"
        for _ in range(fsm.ACTIONS_PER_USER):
            if state == fsm.DONE:
                break
            if state in ("Anon_NotRegistered", "Anon_Registered"):
                self.anon_sub_fsm(gender, segment)
            elif state == "Logged_In":
                self.logged_sub_fsm(gender, segment)
            elif state == "Unregistered":
                break
            proposed = (
                self.logged_in_next() if state == "Logged_In" else self.top[state].draw(self.u())
            )
            state = self.top_action(state, proposed, user, gender, age)
            self.wait(self.sleep)
        return self.t

    def top_action(self, state: str, proposed: str, user: int, gender: str, age: int) -> str:
        if state == "Anon_NotRegistered" and proposed == "Anon_Registered":
            self.request("/add_user")
            db_age = self.randint(cat.AGE_MIN, cat.AGE_MAX)  # the lab's bug: a fresh draw
            self.users.append((user, gender, db_age, age))
        elif state == "Anon_Registered" and proposed == "Logged_In":
            self.request("/login")
            assert self.sess is not None
            self.labelled.append(
                {
                    "session": self.sess.index,
                    "user": user,
                    "gender": gender,
                    "behaviour_age": age,
                    "n_prelogin": self.n_anon,
                    **{f"true::{c}": n for c, n in self.truth.items()},
                }
            )
            self.uid = user
        elif proposed in ("Logged_Out", "Unregistered") and state in ("Logged_In", "Logged_Out"):
            self.request("/logout" if proposed == "Logged_Out" else "/delete_user")
            self.uid = -1
            self.sess = None  # /logout and /delete_user clear the cookies
        return proposed


def simulate(n_sessions: int = 20_000, seed: int = 0) -> Simulation:
    """Simulates launches of users until at least ``n_sessions`` sessions ended in a login.

    Args:
        n_sessions: labelled (logged-in) sessions wanted; the run stops after the user
            who reaches it.
        seed: seed of the numpy Generator; the same seed gives the same log.
    """
    if n_sessions < 1:
        raise ConfigError(f"n_sessions must be >= 1, got {n_sessions}")
    gen = _Generator(seed)
    t_launch = 0.0
    patterns = list(fsm.LAUNCH_PATTERNS)
    while len(gen.labelled) < n_sessions:
        order = gen.rng.permutation(len(patterns)).tolist()
        for p in order:
            lo, hi = fsm.LAUNCH_PATTERNS[patterns[p]]
            n_users = max(1, int(fsm.USERS_PER_LAUNCH * gen.uniform(lo, hi)))
            base_lo, base_hi = fsm.SLEEP_RANGE
            gen.sleep = (
                base_lo * gen.uniform(*fsm.SLEEP_JITTER),
                base_hi * gen.uniform(*fsm.SLEEP_JITTER),
            )
            start, end = t_launch, t_launch
            for i in range(n_users):
                end = max(end, gen.run_user(i, start))
                if len(gen.labelled) >= n_sessions:
                    break
                start += gen.uniform(*fsm.SPAWN_DELAY)
            t_launch = end + fsm.LAUNCH_PAUSE
            if len(gen.labelled) >= n_sessions:
                break
    return _assemble(gen)


def _assemble(gen: _Generator) -> Simulation:
    """Turns the column buffers into the event log, users and session truth tables."""
    c = gen.cols
    n = len(c.session)
    times = np.asarray(c.time)
    seq = np.empty(n, dtype=np.int64)
    seq[np.argsort(times, kind="stable")] = np.arange(n)
    sess = np.asarray(c.session, dtype=np.int64)
    user = np.asarray(c.user, dtype=np.int64)
    endpoint = np.asarray(c.endpoint, dtype=object)
    # rows of one session are contiguous in emission order: next_state is the next row's endpoint
    next_state = np.empty(n, dtype=object)
    next_state[:] = None
    if n > 1:
        same = sess[1:] == sess[:-1]
        next_state[:-1][same] = endpoint[1:][same]
    session_ids = _hex_ids(gen.rng, gen.n_sessions, 16)
    event_ids = _hex_ids(gen.rng, n, 32)
    user_names = np.array([f"user_{i:06d}" for i in range(gen.n_users)], dtype=object)
    users = pd.DataFrame(gen.users, columns=["user", "gender", "age", "behaviour_age"])
    db_gender = dict(zip(users["user"], users["gender"], strict=True))
    db_age = dict(zip(users["user"], users["age"], strict=True))
    logged = user >= 0
    gender_col = np.full(n, None, dtype=object)
    age_col = np.full(n, np.nan)
    if logged.any():
        gender_col[logged] = [db_gender[u] for u in user[logged]]
        age_col[logged] = [db_age[u] for u in user[logged]]
    user_col = np.full(n, None, dtype=object)
    user_col[logged] = user_names[user[logged]]
    stamps = START_TIME + pd.to_timedelta(np.floor(times), unit="s")
    events = pd.DataFrame(
        {
            "session_id": session_ids[sess],
            "event_id": event_ids,
            "user_id": pd.array(user_col, dtype="str"),
            "gender": pd.array(gender_col, dtype="str"),
            "age": pd.array(age_col, dtype="Int64"),
            "current_state": endpoint.astype(str),
            "next_state": pd.array(next_state, dtype="str"),
            "search_count": np.asarray(c.search_count, dtype=np.int64),
            "cart_item_count": np.asarray(c.cart, dtype=np.int64),
            "page_depth": np.asarray(c.depth, dtype=np.int64),
            "last_action_elapsed": np.round(np.asarray(c.elapsed), 3),
            "timestamp": stamps,
            "session_duration": np.round(np.asarray(c.duration), 3),
            "avg_response_time": np.round(np.asarray(c.avg_resp), 4),
            "category_name": pd.array(c.category, dtype="str"),
            "search_keyword": pd.array(c.keyword, dtype="str"),
            "product_id": pd.array(c.product, dtype="str"),
            SEQ_COLUMN: seq,
        }
    )
    events = events.iloc[np.argsort(seq)].reset_index(drop=True)
    users_out = pd.DataFrame(
        {
            "user_id": user_names[users["user"].to_numpy(dtype=np.int64)],
            "gender": users["gender"].astype("str"),
            "age": users["age"].astype("int64"),
            "behaviour_age": users["behaviour_age"].astype("int64"),
        }
    )
    truth = pd.DataFrame(gen.labelled)
    sessions = pd.DataFrame(
        {
            "session_id": session_ids[truth["session"].to_numpy(dtype=np.int64)],
            "user_id": user_names[truth["user"].to_numpy(dtype=np.int64)],
            "gender": truth["gender"].astype("str"),
            "behaviour_age": truth["behaviour_age"].astype("int64"),
            "n_prelogin": truth["n_prelogin"].astype("int64"),
            **{f"true::{c}": truth[f"true::{c}"].astype("int64") for c in cat.CATEGORIES},
        }
    )
    return Simulation(events=events, users=users_out, sessions=sessions, n_users=gen.n_users)


def _hex_ids(rng: np.random.Generator, n: int, n_bytes: int) -> np.ndarray:
    """``n`` random hex strings of ``2 * n_bytes`` characters (ties broken like SHA-256 ids)."""
    raw = rng.bytes(n * n_bytes).hex()
    width = 2 * n_bytes
    return np.array([raw[i * width : (i + 1) * width] for i in range(n)], dtype=object)
