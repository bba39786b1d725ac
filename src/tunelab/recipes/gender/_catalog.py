"""The simulated shop: its 24-product catalog, keyword pools and the gender/age preferences.

Everything here is a fact of the Kakao Cloud lab (``gender_lab.md`` §1 and §8): product ids and
categories, the per-category search keyword pools of the anonymous phase, the gender-blind
keyword list of the logged-in phase (with its typos), and the preferred categories per gender
and age segment.
"""

from dataclasses import dataclass

# KNOWN_CATS of the lab, in the lab's order (also the order of the category features).
CATEGORIES: tuple[str, ...] = ("Books", "Electronics", "Gaming", "Home", "Fashion")


@dataclass(frozen=True)
class Product:
    """One row of the shop's ``products`` table."""

    id: str
    name: str
    category: str


PRODUCTS: tuple[Product, ...] = (
    Product("101", "Wireless Earbuds", "Electronics"),
    Product("102", "Bluetooth Speaker", "Electronics"),
    Product("103", "Sneakers", "Fashion"),
    Product("104", "Backpack", "Fashion"),
    Product("105", "Coffee Mug", "Home"),
    Product("106", "Gaming Mouse", "Electronics"),
    Product("107", "Sunglasses", "Fashion"),
    Product("108", "Laptop Stand", "Electronics"),
    Product("109", "Gaming Keyboard", "Gaming"),
    Product("110", "Game Console", "Gaming"),
    Product("111", "Python Programming Book", "Books"),
    Product("112", "Science Fiction Novel", "Books"),
    Product("113", "Fashionable Hat", "Fashion"),
    Product("114", "Air Fryer", "Home"),
    Product("115", "Vacuum Cleaner", "Home"),
    Product("116", "Coffee Machine", "Home"),
    Product("117", "Jeans", "Fashion"),
    Product("118", "Smartphone", "Electronics"),
    Product("119", "Tablet", "Electronics"),
    Product("120", "Dress", "Fashion"),
    Product("121", "Gaming Headset", "Gaming"),
    Product("122", "Cookbook", "Books"),
    Product("123", "Thriller Novel", "Books"),
    Product("124", "T-Shirt", "Fashion"),
)

PRODUCT_CATEGORY: dict[str, str] = {p.id: p.category for p in PRODUCTS}
PRODUCTS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    cat: tuple(p.id for p in PRODUCTS if p.category == cat) for cat in CATEGORIES
}

# Anonymous searches: a category is drawn, then a keyword from its pool ("bag" finds nothing).
KEYWORD_POOLS: dict[str, tuple[str, ...]] = {
    "Electronics": ("mouse", "earbuds", "speaker", "laptop", "phone"),
    "Fashion": ("sneakers", "dress", "bag"),
    "Home": ("mug", "fryer", "coffee"),
    "Gaming": ("keyboard", "console", "headset"),
    "Books": ("book", "novel"),
}

# Logged-in searches: one gender-blind list of 27 raw query strings (a reconstruction: the
# lab names the typos cofee, iphon, labtop, rayban and "blu tooth"; together with the anonymous
# pools the distinct lowercased keywords are the lab's 25 plus the URL-encoded "blu tooth").
LOGGED_IN_KEYWORDS: tuple[str, ...] = (
    "Bluetooth", "blu%20tooth", "Laptop", "labtop", "laptop", "Fashion", "Camera",
    "Book", "book", "Home", "Coffee", "cofee", "coffee", "Mouse", "mouse", "Sneakers",
    "sneakers", "Bag", "Sunglasses", "Mug", "mug", "iphon", "Phone", "Headset",
    "Keyboard", "Novel", "rayban",
)  # fmt: skip

# Preferred categories per gender and age segment (§8).
PREFERENCES: dict[tuple[str, str], tuple[str, ...]] = {
    ("F", "young"): ("Fashion", "Books"),
    ("F", "middle"): ("Fashion", "Home", "Books"),
    ("F", "old"): ("Home", "Books"),
    ("M", "young"): ("Electronics", "Gaming"),
    ("M", "middle"): ("Electronics", "Home", "Gaming"),
    ("M", "old"): ("Books",),
}

GENDERS: tuple[str, str] = ("F", "M")
SEGMENTS: tuple[str, ...] = ("young", "middle", "old")
AGE_MIN, AGE_MAX = 18, 70  # randint(18, 70), both ends included
UNIFORM_SHARE = 0.15  # share of anonymous category draws that ignore the preferences
PREFERRED_WEIGHT = 3.0
LOGGED_IN_EPSILON = 0.1  # logged-in product views: uniform with this probability
LOGGED_IN_PREFERRED_WEIGHT = 4.5


def age_segment(age: int) -> str:
    """young < 25 <= middle < 50 <= old (the lab's AGE_THRESHOLD_YOUNG/MIDDLE)."""
    if age < 25:
        return "young"
    if age < 50:
        return "middle"
    return "old"


def segment_prior() -> dict[str, float]:
    """P(segment) under age = randint(18, 70): 7/53, 25/53, 21/53."""
    ages = range(AGE_MIN, AGE_MAX + 1)
    n = len(ages)
    return {seg: sum(age_segment(a) == seg for a in ages) / n for seg in SEGMENTS}


def category_probabilities(gender: str, segment: str) -> dict[str, float]:
    """P(category | gender, segment) of one anonymous draw: 15% uniform, else weights 3 vs 1."""
    preferred = PREFERENCES[(gender, segment)]
    weights = {c: PREFERRED_WEIGHT if c in preferred else 1.0 for c in CATEGORIES}
    total = sum(weights.values())
    k = len(CATEGORIES)
    return {c: UNIFORM_SHARE / k + (1 - UNIFORM_SHARE) * w / total for c, w in weights.items()}


def logged_in_product_probabilities(gender: str, segment: str) -> dict[str, float]:
    """P(product | gender, segment) of a logged-in view: eps uniform, else weights 4.5 vs 1."""
    preferred = PREFERENCES[(gender, segment)]
    weights = {
        p.id: LOGGED_IN_PREFERRED_WEIGHT if p.category in preferred else 1.0 for p in PRODUCTS
    }
    total = sum(weights.values())
    n = len(PRODUCTS)
    eps = LOGGED_IN_EPSILON
    return {pid: eps / n + (1 - eps) * w / total for pid, w in weights.items()}
