"""A stable content hash of a table."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd


def fingerprint(df: pd.DataFrame) -> str:
    """A stable sha256 of the table's content, column names and dtypes (index ignored)."""
    digest = hashlib.sha256()
    header = [[str(c), str(t)] for c, t in zip(df.columns, df.dtypes, strict=True)]
    digest.update(json.dumps(header, ensure_ascii=False).encode("utf-8"))
    digest.update(str(len(df)).encode())
    if df.shape[1]:
        hashes = pd.util.hash_pandas_object(df, index=False)
        digest.update(hashes.to_numpy(dtype=np.uint64).tobytes())
    return digest.hexdigest()
