"""State machines of the lab's traffic generator (``gender_lab.md`` §8), as deployed.

The top-level machine and the anonymous sub-machine are the documented ones. The logged-in
sub-machine is not in the specification; it is the generator's table before its later edits
(the "old" values of ``config.py``), with the deployed checkout x1.2 and review x1.5 boosts.
Nothing after login reaches the pre-login features, so these choices cannot change the task.
"""

from types import MappingProxyType
from typing import Final

Table = MappingProxyType[str, MappingProxyType[str, float]]


def _freeze(table: dict[str, dict[str, float]]) -> Table:
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in table.items()})


DONE: Final = "Done"

TOP: Final = _freeze(
    {
        "Anon_NotRegistered": {"Anon_NotRegistered": 0.3, "Anon_Registered": 0.5, DONE: 0.2},
        "Anon_Registered": {
            "Anon_Registered": 0.3,
            "Logged_In": 0.5,
            "Unregistered": 0.1,
            DONE: 0.1,
        },
        "Logged_In": {"Logged_In": 0.7, "Logged_Out": 0.1, "Unregistered": 0.1, DONE: 0.1},
        "Logged_Out": {DONE: 0.8, "Anon_Registered": 0.1, "Unregistered": 0.1},
    }
)

ANON: Final = _freeze(
    {
        "Initial": {"Main": 1.0},
        "Main": {
            "Main": 0.1,
            "Products": 0.2,
            "Search": 0.2,
            "Categories": 0.2,
            "Error": 0.1,
            DONE: 0.2,
        },
        "Products": {
            "ViewProduct": 0.2,
            "Products": 0.2,
            "Categories": 0.1,
            "Search": 0.2,
            "Error": 0.1,
            DONE: 0.2,
        },
        "ViewProduct": {
            "Products": 0.2,
            "Search": 0.2,
            "Categories": 0.1,
            "Error": 0.1,
            DONE: 0.4,
        },
        "Categories": {"CategoryList": 0.4, "Search": 0.2, "Error": 0.1, DONE: 0.3},
        "CategoryList": {"Categories": 0.2, "ViewProduct": 0.3, "Error": 0.1, DONE: 0.4},
        "Search": {"ViewProduct": 0.3, "Search": 0.2, "Error": 0.1, DONE: 0.4},
        "Error": {"Main": 0.3, "Products": 0.2, DONE: 0.5},
    }
)

CHECKOUT_BOOST = 1.2
REVIEW_BOOST = 1.5


def _boost(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for state, row in table.items():
        boosted = {
            nxt: p
            * (CHECKOUT_BOOST if nxt == "Checkout" else 1.0)
            * (REVIEW_BOOST if nxt == "AddReview" else 1.0)
            for nxt, p in row.items()
        }
        total = sum(boosted.values())
        out[state] = {nxt: p / total for nxt, p in boosted.items()}
    return out


LOGGED: Final = _freeze(
    _boost(
        {
            "Initial": {"Main": 0.9, "Error": 0.1},
            "Main": {
                "Main": 0.1,
                "Products": 0.2,
                "ViewProduct": 0.2,
                "Search": 0.1,
                "Categories": 0.1,
                "CheckoutHistory": 0.1,
                "Error": 0.1,
                DONE: 0.1,
            },
            "Products": {
                "Main": 0.1,
                "Products": 0.2,
                "ViewProduct": 0.2,
                "Categories": 0.1,
                "Search": 0.2,
                "Error": 0.1,
                DONE: 0.1,
            },
            "ViewProduct": {
                "Main": 0.1,
                "ViewProduct": 0.1,
                "Products": 0.1,
                "Search": 0.1,
                "Categories": 0.1,
                "ViewCart": 0.1,
                "CartAdd": 0.1,
                "Checkout": 0.1,
                "Error": 0.1,
                DONE: 0.1,
            },
            "Search": {
                "Main": 0.2,
                "Products": 0.2,
                "Categories": 0.1,
                "ViewProduct": 0.3,
                "Error": 0.1,
                DONE: 0.1,
            },
            "Categories": {
                "Main": 0.2,
                "CategoryList": 0.3,
                "Search": 0.3,
                "Error": 0.1,
                DONE: 0.1,
            },
            "CategoryList": {
                "Main": 0.2,
                "Categories": 0.3,
                "ViewProduct": 0.3,
                "Error": 0.1,
                DONE: 0.1,
            },
            "ViewCart": {"Main": 0.3, "CartRemove": 0.2, "Checkout": 0.3, "Error": 0.1, DONE: 0.1},
            "CheckoutHistory": {
                "Main": 0.4,
                "ViewCart": 0.2,
                "CartAdd": 0.2,
                "Error": 0.1,
                DONE: 0.1,
            },
            "CartAdd": {"Main": 0.2, "ViewCart": 0.3, "Checkout": 0.3, "Error": 0.1, DONE: 0.1},
            "CartRemove": {"Main": 0.3, "ViewCart": 0.4, "Error": 0.1, DONE: 0.2},
            "Checkout": {
                "Main": 0.2,
                "CheckoutHistory": 0.3,
                "ViewCart": 0.1,
                "AddReview": 0.2,
                "Error": 0.1,
                DONE: 0.1,
            },
            "AddReview": {
                "Main": 0.3,
                "AddReview": 0.2,
                "ViewCart": 0.1,
                "CheckoutHistory": 0.2,
                "Error": 0.1,
                DONE: 0.1,
            },
            "Error": {DONE: 1.0},
        }
    )
)

# Logged_In biases (multiplied, then renormalised).
CART_LOGOUT_BIAS = 1.3
EMPTY_CART_DONE_BIAS = 1.2
DEEP_LOGOUT_BIAS = 1.15
IDLE_DONE_BIAS = 1.1
DEEP_PAGE_DEPTH = 6
LONG_SESSION_SECONDS = 60.0
IDLE_SECONDS = 5.0

ACTIONS_PER_USER = 30  # top-level transitions per user
USERS_PER_LAUNCH = 5
SLEEP_RANGE = (0.1, 1.0)  # between sub-states and top-level transitions
ACTION_SLEEP = (0.5, 1.0)  # after every action
LAUNCH_PATTERNS: dict[str, tuple[float, float]] = {
    "light": (0.5, 0.8),
    "normal": (0.8, 1.2),
    "heavy": (1.2, 1.5),
}
SLEEP_JITTER = (0.8, 1.2)
SPAWN_DELAY = (0.01, 0.1)
LAUNCH_PAUSE = 5.0

# Endpoint of each sub-state's request.
ENDPOINTS: dict[str, str] = {
    "Main": "/",
    "Products": "/products",
    "ViewProduct": "/product",
    "Categories": "/categories",
    "CategoryList": "/category",
    "Search": "/search",
    "Error": "/error",
    "ViewCart": "/cart/view",
    "CheckoutHistory": "/checkout_history",
    "CartAdd": "/cart/add",
    "CartRemove": "/cart/remove",
    "Checkout": "/checkout",
    "AddReview": "/add_review",
}
