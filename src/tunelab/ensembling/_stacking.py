"""Fit a stacking meta-model on out-of-fold predictions."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression, RidgeCV


def fit_stacker(
    oof_predictions: Sequence[np.ndarray], y: np.ndarray, *, n_classes: int, seed: int = 0
) -> Any:
    """Fit a regularised linear meta-model on the members' out-of-fold predictions.

    Classification: multinomial logistic regression on the stacked probabilities.
    Regression: ridge regression with built-in leave-one-out choice of alpha.
    """
    if n_classes:
        features = np.hstack([np.asarray(p, dtype=np.float64) for p in oof_predictions])
        meta = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    else:
        features = np.column_stack([np.asarray(p, dtype=np.float64) for p in oof_predictions])
        meta = RidgeCV(alphas=(0.01, 0.1, 1.0, 10.0, 100.0))
    meta.fit(features, y)
    return meta
