"""Shared by the runner scripts; imports only pandas/numpy (present in every benchmark env).

A runner is started as ``python run_<system>.py SPEC.json``. The spec names the train and
test Parquet files, target, task, metric, budget, n_jobs, seed and an output folder. The
runner writes ``predictions.parquet`` (one probability column per class label, or a
``prediction`` column) and ``result.json`` (fit seconds, library versions, extras) there,
and exits non-zero on any error.
"""

from __future__ import annotations

import faulthandler
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd


def load_spec() -> dict[str, Any]:
    """The JSON spec named by the first command-line argument."""
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} SPEC.json")
    spec: dict[str, Any] = json.loads(Path(sys.argv[1]).read_text())
    Path(spec["out_dir"]).mkdir(parents=True, exist_ok=True)
    if spec.get("dump_after"):  # a hang shows up in the log as every thread's stack
        faulthandler.dump_traceback_later(float(spec["dump_after"]), exit=False)
    return spec


def load_split(spec: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The train and test frames, target column included."""
    return pd.read_parquet(spec["train"]), pd.read_parquet(spec["test"])


def as_category(
    train: pd.DataFrame, test: pd.DataFrame, target: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text/bool/category features as category dtype with the train set's categories.

    The target column is left as it is.
    """
    train, test = train.copy(), test.copy()
    for col in train.columns:
        if col == target:
            continue
        dtype = train[col].dtype
        if (
            pd.api.types.is_string_dtype(dtype)
            or pd.api.types.is_bool_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        ):
            cats = pd.Index(train[col].dropna().astype("str").unique()).sort_values()
            dtype_cat = pd.CategoricalDtype(categories=cats)
            train[col] = train[col].astype("str").where(train[col].notna()).astype(dtype_cat)
            test[col] = test[col].astype("str").where(test[col].notna()).astype(dtype_cat)
    return train, test


def proba_frame(proba: Any, classes: Any) -> pd.DataFrame:
    """Probabilities as a frame with one column per class label (as a string)."""
    return pd.DataFrame(
        pd.DataFrame(proba).to_numpy(dtype=float), columns=[str(c) for c in classes]
    )


def write_outputs(
    spec: dict[str, Any], predictions: pd.DataFrame, fit_seconds: float, **extras: Any
) -> None:
    """Save predictions and ``result.json`` into the spec's output folder."""
    out = Path(spec["out_dir"])
    predictions.to_parquet(out / "predictions.parquet", index=False)
    result = {
        "fit_seconds": fit_seconds,
        "python": platform.python_version(),
        "versions": versions(spec.get("packages", [])),
        "extras": extras,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2, default=str))


def versions(packages: list[str]) -> dict[str, str]:
    """Installed versions of the named distributions (missing ones are skipped)."""
    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
