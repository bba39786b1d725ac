"""A small real model bundle (label: x > 0; inputs x and color) for handler and API tests."""

import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore


def save_test_bundle(store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path) -> str:
    """A fitted classifier (label: x > 0; input x and color) stored as a real bundle + model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from tunelab.bundles import save_bundle

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=80), "color": rng.choice(["red", "blue"], 80)})
    y = (X["x"] > 0).astype(int).to_numpy()
    pipeline = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("cat", OneHotEncoder(handle_unknown="ignore"), ["color"])],
                    remainder="passthrough",
                ),
            ),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    folder = save_bundle(
        tmp_path / "bundle",
        pipeline,
        task="binary",
        target="label",
        classes=["no", "yes"],
        feature_columns=["x", "color"],
        input_schema=X,
    )
    prefix = f"models/{uuid.uuid4().hex}"
    artifacts.put_dir(prefix, folder)
    return store.add_model(name="logreg", uri=prefix, task="binary").id
