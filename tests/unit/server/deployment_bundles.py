"""Real tunelab bundles (TabularModel = preprocessing + estimator) for the deployment tests."""

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore


def frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """x (number), color (category, 'red' most frequent), size (number); y and label targets."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(3),
            "color": rng.choice(["red", "blue", "green"], n, p=[0.5, 0.3, 0.2]),
            "size": rng.integers(1, 10, n).astype(float),
        }
    )
    bump = df["color"].map({"red": 1.0, "blue": -1.0, "green": 0.0}).to_numpy()
    df["y"] = 3 * df["x"] + bump + 0.2 * df["size"] + rng.normal(scale=0.1, size=n)
    df["label"] = np.where(df["x"] + 0.5 * bump > 0, "yes", "no")
    return df


def fit_model(kind: str, task: str, df: pd.DataFrame) -> Any:
    """A fitted TabularModel: kind 'lightgbm' (tree flavor) or 'linear' (one-hot, scaling)."""
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    from tunelab.data import profile_dataset
    from tunelab.preprocessing import make_model_pipeline, recommend

    target = "y" if task == "regression" else "label"
    X = df[["x", "color", "size"]]
    settings = recommend(
        profile_dataset(df[["x", "color", "size", target]], target=target), target
    )
    if kind == "lightgbm":
        cls = LGBMRegressor if task == "regression" else LGBMClassifier
        est, flavor = cls(n_estimators=40, num_leaves=8, verbose=-1, n_jobs=1), "tree"
    else:
        est, flavor = (Ridge() if task == "regression" else LogisticRegression()), "linear"
    model = make_model_pipeline(settings, est, task=task, flavor=flavor)
    y = df[target] if task == "regression" else (df[target] == "yes").astype(int)
    return model.fit(X, y.to_numpy())


def held_back_of(model: Any, task: str, df: pd.DataFrame) -> pd.DataFrame:
    """Rows the model was not fitted on, with their target and its outputs."""
    from tunelab.bundles import held_back_frame

    X = df[["x", "color", "size"]]
    if task == "regression":
        return held_back_frame(X, df["y"].to_numpy(), model.predict(X), None)
    codes = (df["label"] == "yes").astype(int).to_numpy()
    return held_back_frame(X, codes, model.predict_proba(X), ["no", "yes"])


def save(
    model: Any,
    task: str,
    df: pd.DataFrame,
    folder: Path,
    held_back: pd.DataFrame | None = None,
) -> Path:
    from tunelab.bundles import save_bundle

    X = df[["x", "color", "size"]]
    return save_bundle(
        folder,
        model,
        task=task,
        target="y" if task == "regression" else "label",
        classes=None if task == "regression" else ["no", "yes"],
        feature_columns=list(X.columns),
        input_schema=X,
        reference_stats=X,
        metrics={"valid": {"r2" if task == "regression" else "roc_auc": 0.9}},
        held_back=held_back,
    )


def register(store: MetadataStore, artifacts: ArtifactStore, folder: Path, name: str) -> str:
    prefix = f"models/{uuid.uuid4().hex}"
    artifacts.put_dir(prefix, folder)
    return store.add_model(name=name, uri=prefix, task=None, metrics={"valid": {"r2": 0.9}}).id
