"""Small synthetic tables for the AutoML facade tests."""

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression

CHEAP = ["logistic_regression", "decision_tree"]


def classification_frame(
    n_rows: int = 300,
    labels: tuple[str, ...] = ("no", "yes"),
    *,
    seed: int = 0,
    weights: list[float] | None = None,
) -> pd.DataFrame:
    """Numeric features f0..f4, a small categorical ``color`` and a string target ``label``."""
    X, y = make_classification(
        n_samples=n_rows,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=len(labels),
        weights=weights,
        random_state=seed,
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["color"] = np.random.default_rng(seed).choice(["red", "green", "blue"], size=n_rows)
    frame["label"] = np.asarray(labels, dtype=object)[y]
    return frame


def regression_frame(n_rows: int = 300, *, seed: int = 0) -> pd.DataFrame:
    X, y = make_regression(n_samples=n_rows, n_features=5, noise=10.0, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["price"] = y
    return frame
