"""A small mixed-type frame with every column kind and missing values."""

import numpy as np
import pandas as pd

from tunelab.entities import ColumnKind, ColumnSettings, PreprocessingSettings

N_ROWS = 240
WORDS = ["red", "blue", "green", "fast", "slow", "cheap", "large", "small", "new", "old"]


def mixed_frame(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    num = rng.normal(10, 3, n)
    num[rng.random(n) < 0.1] = np.nan
    skewed = rng.lognormal(1.0, 1.2, n)
    cat = rng.choice(["a", "b", "c", "d"], n).astype(object)
    cat[rng.random(n) < 0.15] = None
    flag = rng.choice([True, False], n).astype(object)
    flag[rng.random(n) < 0.05] = None
    when = pd.Series(pd.date_range("2021-01-01", periods=n, freq="37h"))
    when[rng.random(n) < 0.05] = pd.NaT
    text = [" ".join(rng.choice(WORDS, rng.integers(2, 7))) for _ in range(n)]
    return pd.DataFrame(
        {
            "num": num,
            "skewed": skewed,
            "cat": pd.Series(cat, dtype="str"),
            "flag": flag,
            "when": when,
            "text": text,
        }
    )


def mixed_target(frame: pd.DataFrame) -> np.ndarray:
    """A binary target that depends on several columns."""
    score = frame["num"].fillna(10).to_numpy() - 10 + (frame["cat"] == "a").to_numpy() * 3
    return np.where(score + np.log(frame["skewed"].to_numpy()) > 0.5, "yes", "no")


KINDS = {
    "num": ColumnKind.NUMERIC,
    "skewed": ColumnKind.NUMERIC,
    "cat": ColumnKind.CATEGORICAL,
    "flag": ColumnKind.BOOLEAN,
    "when": ColumnKind.DATETIME,
    "text": ColumnKind.TEXT,
}


def mixed_settings(**overrides: object) -> PreprocessingSettings:
    """Settings with every column used at its kind; keyword overrides whole-table fields."""
    columns = {name: ColumnSettings(kind=kind) for name, kind in KINDS.items()}
    return PreprocessingSettings(columns=columns, **overrides)  # type: ignore[arg-type]
