"""The diary's model: 10 deep MLPs on the scaled view count, averaged — as one pipeline.

The network is the diary's Keras stack rebuilt with the torch_mlp estimator: Dense 128 (relu,
dropout 0.3), 64 (relu), 64 (tanh), 32 (relu), 32 (tanh), ... down to 2 (relu, tanh) and one
output, dropout 0.2 between, Adam at 1e-3, mean squared error, batch size 32, up to 100 epochs
with 20% of the training rows held out for validation. Two changes from the diary: the held-out
rows stop training early (patience 10, best epoch kept) instead of only being watched, and the
target is standardised inside the estimator (predictions come back in pieces).
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from tunelab.ensembling import FoldBag

FEATURES = ["viewCount"]
TARGET = "quantity"
N_MODELS = 10
HIDDEN = (128, 64, 64, 32, 32, 16, 16, 8, 8, 4, 4, 2, 2)
ACTIVATIONS = ("relu", "relu", "tanh", "relu", "tanh", "relu", "tanh", "relu", "tanh", "relu",
               "tanh", "relu", "tanh")  # fmt: skip
DROPOUTS = (0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.0, 0.0)


def diary_network(seed: int, epochs: int, n_jobs: int = 1) -> Any:
    """One of the diary's MLPs (unfitted), inputs taken as already scaled."""
    from tunelab.models._torch_net import TorchMLPRegressor

    return TorchMLPRegressor(
        hidden_sizes=HIDDEN,
        activation=ACTIVATIONS,
        dropout=DROPOUTS,
        learning_rate=1e-3,
        lr_schedule="constant",
        weight_decay=0.0,
        batch_size=32,
        max_epochs=epochs,
        patience=10,
        standardize=False,  # the pipeline's StandardScaler is the diary's scaler
        random_state=seed,
        n_jobs=n_jobs,
    )


def fit_ensemble(
    train: pd.DataFrame, *, seed: int, epochs: int, n_models: int = N_MODELS, n_jobs: int = 1
) -> Pipeline:
    """StandardScaler fitted on ``train`` only, then ``n_models`` MLPs, averaged.

    Each member has its own seed; all share one 80/20 split of the training rows (the diary's
    ``validation_split=0.2``), the validation part used for early stopping.
    """
    scaler = StandardScaler().fit(train[FEATURES])
    X = scaler.transform(train[FEATURES])
    y = train[TARGET].to_numpy(dtype=np.float64)
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.2, random_state=seed)
    members = [
        diary_network(seed * 1000 + i, epochs, n_jobs).fit(X_fit, y_fit, X_val, y_val)
        for i in range(n_models)
    ]
    bag = FoldBag(estimators=members, n_classes=0).fit()
    return Pipeline([("scale", scaler), ("ensemble", bag)])
