"""Small real bundles for the export tests: tunelab's default shape (a weighted ensemble of
fold bags of TabularModels) over number, category and boolean columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FEATURES = ["x", "color", "size", "flag"]


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).round(3)
    x[rng.random(n) < 0.05] = np.nan
    color = rng.choice(["red", "blue", "green"], n, p=[0.5, 0.3, 0.2]).astype(object)
    color[rng.random(n) < 0.05] = None
    df = pd.DataFrame(
        {
            "x": x,
            "color": pd.Series(color, dtype=object),
            "size": rng.integers(1, 10, n).astype(float),
            "flag": rng.choice([True, False], n),
        }
    )
    bump = df["color"].map({"red": 1.0, "blue": -1.0, "green": 0.0}).fillna(0).to_numpy()
    xs = np.nan_to_num(df["x"].to_numpy())
    df["y"] = 3 * xs + bump + 0.2 * df["size"] + df["flag"] + rng.normal(scale=0.1, size=n)
    score = xs + 0.5 * bump + rng.normal(scale=0.3, size=n)
    df["label"] = np.where(score > 0, "yes", "no")
    df["level"] = np.select([score < -0.5, score < 0.5], ["low", "mid"], "high")
    return df


CLASSES = {"binary": ["no", "yes"], "multiclass": ["high", "low", "mid"]}


def encoded_target(task: str, df: pd.DataFrame) -> np.ndarray:
    if task == "regression":
        return df["y"].to_numpy()
    column = "label" if task == "binary" else "level"
    return np.searchsorted(CLASSES[task], df[column].to_numpy())


def _tabular(kind: str, task: str, X: pd.DataFrame, y: np.ndarray) -> Any:
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    from tunelab.entities import ColumnKind, ColumnSettings, PreprocessingSettings
    from tunelab.preprocessing import make_model_pipeline

    kinds = {
        "x": ColumnKind.NUMERIC,
        "color": ColumnKind.CATEGORICAL,
        "size": ColumnKind.NUMERIC,
        "flag": ColumnKind.BOOLEAN,
    }
    settings = PreprocessingSettings(
        columns={name: ColumnSettings(kind=kind) for name, kind in kinds.items()}
    )
    if kind == "lightgbm":
        cls = LGBMRegressor if task == "regression" else LGBMClassifier
        est, flavor = cls(n_estimators=30, num_leaves=8, verbose=-1, n_jobs=1), "tree"
    elif kind == "mlp":
        from sklearn.neural_network import MLPClassifier

        net = MLPClassifier(hidden_layer_sizes=(128, 128), max_iter=300, random_state=0)
        est, flavor = net, "linear"
    elif kind == "catboost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        boost = CatBoostRegressor if task == "regression" else CatBoostClassifier
        est, flavor = boost(iterations=20, depth=4, verbose=False, thread_count=1), "tree"
    else:
        est, flavor = (Ridge() if task == "regression" else LogisticRegression()), "linear"
    return make_model_pipeline(settings, est, task=task, flavor=flavor).fit(X, y)


def fit_ensemble(
    task: str, df: pd.DataFrame, kinds: tuple[str, ...] = ("lightgbm", "linear")
) -> Any:
    """WeightedEnsemble of FoldBags (two folds each) of TabularModels, as AutoML builds it."""
    from tunelab.ensembling import FoldBag, WeightedEnsemble

    X = df[FEATURES]
    y = encoded_target(task, df)
    n_classes = len(CLASSES.get(task, []))
    half = len(df) // 2
    bags = []
    for kind in kinds:
        members = [
            _tabular(kind, task, X.iloc[part], y[part])
            for part in (slice(0, half), slice(half, None))
        ]
        bags.append(FoldBag(members, n_classes=n_classes).fit())
    weights = [0.5, 0.3, 0.2][: len(bags)] if len(bags) > 1 else [1.0]
    return WeightedEnsemble(bags, weights, n_classes=n_classes).fit()


def save(model: Any, task: str, df: pd.DataFrame, folder: Path) -> Path:
    from tunelab.bundles import infer_input_schema, save_bundle

    X = df[FEATURES]
    schema = infer_input_schema(X, {"flag": "boolean", "color": "categorical"})
    return save_bundle(
        folder,
        model,
        task=task,
        target={"regression": "y", "binary": "label"}.get(task, "level"),
        classes=CLASSES.get(task),
        feature_columns=FEATURES,
        input_schema=schema,
        reference_stats=X,
    )
