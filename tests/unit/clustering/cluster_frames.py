"""Small tables for the clustering tests."""

import numpy as np
import pandas as pd
from sklearn.datasets import make_blobs


def blobs(n_rows: int = 240, centers: int = 4, std: float = 0.6, seed: int = 0) -> pd.DataFrame:
    """Well-separated blobs in 3 numeric columns, a categorical column that follows the
    groups, a few missing numbers, and the true group in ``truth`` (for evaluation only)."""
    X, y = make_blobs(
        n_samples=n_rows,
        centers=centers,
        n_features=3,
        cluster_std=std,
        center_box=(-10, 10),
        random_state=seed,
    )
    frame = pd.DataFrame(X, columns=["x1", "x2", "x 3"])
    frame["shade"] = np.array(["dark", "light", "mid", "pale", "deep", "soft"])[y % 6]
    frame.loc[frame.index[::37], "x1"] = np.nan
    frame["truth"] = y
    return frame
