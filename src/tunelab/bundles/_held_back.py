"""The held-back rows a bundle keeps for monitoring: inputs, true target and the model's
outputs on rows it was not fitted on, in the columns of the monitoring log (numbers as
float64, everything else as text; ``__y``, ``__prediction``, ``__p:<class>``). A label-free
performance estimate is fitted on them (a calibrator, an error model)."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HELD_BACK_FILE = "held_back.parquet"
MAX_HELD_BACK_ROWS = 5000
TRUTH, PREDICTED, PROBA = "__y", "__prediction", "__p:"


def _logged(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(values):  # as a client sends it: ISO text
        return values.map(lambda v: None if pd.isna(v) else v.isoformat()).astype(object)
    return values.map(lambda v: None if v is None or v != v else str(v)).astype(object)


def held_back_frame(
    X: pd.DataFrame,
    y: np.ndarray,
    output: np.ndarray,
    classes: Sequence[Any] | None,
    *,
    max_rows: int = MAX_HELD_BACK_ROWS,
    seed: int = 0,
) -> pd.DataFrame:
    """The held-back rows as the monitoring log holds predictions.

    ``y``: class codes ``0..k-1`` (classification) or values; ``output``: class
    probabilities (n, k) (or (n,) of the positive class) or predicted values (n,) / (n, 1).
    At most ``max_rows`` rows (a sample)."""
    n = len(X)
    keep = np.arange(n)
    if n > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
    frame = pd.DataFrame({c: _logged(X[c].iloc[keep]) for c in X.columns}).reset_index(drop=True)
    y = np.asarray(y)[keep]
    output = np.asarray(output, dtype=np.float64)[keep]
    if classes and output.ndim == 1:  # the positive class's probability only
        output = np.column_stack([1 - output, output])
    if not classes:
        output = output.reshape(len(output), -1)[:, 0]
    if classes:
        names = [str(c) for c in classes]
        frame[TRUTH] = [names[int(i)] for i in y]
        frame[PREDICTED] = [names[int(i)] for i in output.argmax(axis=1)]
        for i, name in enumerate(names):
            frame[PROBA + name] = output[:, i].astype("float64")
    else:
        frame[TRUTH] = y.astype("float64")
        frame[PREDICTED] = output.astype("float64")
    return frame


def write_held_back(folder: Path, frame: pd.DataFrame) -> Path:
    """Parquet (no pickle) in the bundle folder; returns its path."""
    path = folder / HELD_BACK_FILE
    frame.to_parquet(path, index=False)
    return path


def read_held_back(folder: Path) -> pd.DataFrame | None:
    path = folder / HELD_BACK_FILE
    return pd.read_parquet(path) if path.is_file() else None
