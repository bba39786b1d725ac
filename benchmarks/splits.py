"""One fixed 80/20 train/test split per dataset and seed, saved so every system reads it."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.datasets import Dataset

TEST_FRACTION = 0.2


@dataclass(frozen=True)
class SplitFiles:
    """Where the train and test Parquet files of one split live."""

    train: Path
    test: Path
    n_train: int
    n_test: int


def split_seed(name: str, seed: int) -> int:
    """A seed fixed per dataset name (crc32) and repetition, stable across machines."""
    return (zlib.crc32(name.encode("utf-8")) + seed) % (2**31)


def split_indices(
    y: pd.Series, *, stratify: bool, seed: int, test_fraction: float = TEST_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled train and test positions; stratified per class when ``stratify``.

    Each class sends round(n_c * test_fraction) rows to test but always keeps at least
    one row in train, so a class with a single row (shuttle) never breaks the split.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    if not stratify:
        order = rng.permutation(n)
        n_test = round(n * test_fraction)
        return np.sort(order[n_test:]), np.sort(order[:n_test])
    codes = pd.factorize(y.astype("str"), sort=True)[0]
    test_parts = []
    for code in np.unique(codes):
        members = rng.permutation(np.flatnonzero(codes == code))
        n_test = min(round(len(members) * test_fraction), len(members) - 1)
        test_parts.append(members[:n_test])
    test = np.sort(np.concatenate(test_parts)) if test_parts else np.array([], dtype=int)
    train = np.setdiff1d(np.arange(n), test)
    return train, test


def make_split(dataset: Dataset, seed: int, out_dir: Path) -> SplitFiles:
    """Write (or reuse) ``<name>-s<seed>-{train,test}.parquet`` under ``out_dir``.

    The files are rebuilt when the source file changed (size or mtime differ).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{dataset.name}-s{seed}"
    train_path, test_path = Path(f"{stem}-train.parquet"), Path(f"{stem}-test.parquet")
    meta_path = Path(f"{stem}.json")
    stat = dataset.path.stat()
    rng_seed = split_seed(dataset.name, seed)
    source = {"size": stat.st_size, "mtime": stat.st_mtime, "seed": rng_seed}
    if train_path.is_file() and test_path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("source") == source:
            return SplitFiles(train_path, test_path, meta["n_train"], meta["n_test"])
    frame = pd.read_parquet(dataset.path)
    if dataset.target not in frame.columns:
        raise KeyError(f"target column {dataset.target!r} not in {dataset.path}")
    frame = frame[frame[dataset.target].notna()].reset_index(drop=True)
    train_idx, test_idx = split_indices(
        frame[dataset.target],
        stratify=dataset.task != "regression",
        seed=rng_seed,
    )
    frame.iloc[train_idx].reset_index(drop=True).to_parquet(train_path, index=False)
    frame.iloc[test_idx].reset_index(drop=True).to_parquet(test_path, index=False)
    meta = {"source": source, "n_train": len(train_idx), "n_test": len(test_idx)}
    meta_path.write_text(json.dumps(meta))
    return SplitFiles(train_path, test_path, len(train_idx), len(test_idx))
