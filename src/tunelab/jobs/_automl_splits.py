"""The train/valid/test parts an AutoML run used, saved as CSV artifacts for download.

Keys: ``experiments/<id>/splits/summary.json`` and ``.../<part>.csv`` for part in
train/valid/test. Every CSV holds the original rows plus ``_row`` (the row's position in the
uploaded table). For cross-validation the train CSV also has ``_fold``: the fold whose
validation part holds the row (every training row validates exactly once), and there is no
separate valid CSV. An empty part (no test rows) has no CSV.
"""

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities.artifact_keys import split_part_key, splits_summary_key
from tunelab.jobs._context import JobContext

PARTS = ("train", "valid", "test")


def engine_rows(automl: Any) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Test rows, fit rows and folds (fold positions are local to the fit rows), as
    positions in the rows that have a target value (``AutoML.split_rows_``)."""
    rows = automl.split_rows_
    return rows["test"], rows["fit"], rows["folds"]


def labelled_positions(df: pd.DataFrame, target: str, task: str) -> np.ndarray:
    """Positions in ``df`` of the rows the engine kept (those with a usable target value)."""
    y = df[target]
    if task == "regression" and not pd.api.types.is_numeric_dtype(y):
        y = pd.to_numeric(y, errors="coerce")
    return np.flatnonzero(y.notna().to_numpy())


def plan_parts(
    n_labelled: int,
    test: np.ndarray,
    fit: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> dict[str, Any]:
    """Positions (in the labelled rows) of each part, and the fold of each training row."""
    if len(folds) == 1:  # holdout (by ratios or by value ranges)
        train_local, valid_local = folds[0]
        return {
            "train": fit[train_local],
            "valid": fit[valid_local],
            "test": test,
            "fold": None,
            "unused": n_labelled - len(test) - len(train_local) - len(valid_local),
        }
    fold_of = np.full(len(fit), -1, dtype=np.int64)
    for number, (_, valid_local) in enumerate(folds):
        fold_of[valid_local] = np.where(fold_of[valid_local] < 0, number, fold_of[valid_local])
    return {
        "train": fit,
        "valid": None,
        "test": test,
        "fold": fold_of,
        "unused": n_labelled - len(test) - len(fit),
    }


def save_splits(
    ctx: JobContext, experiment_id: str, df: pd.DataFrame, automl: Any, run: int | None = None
) -> dict[str, Any]:
    """Write the parts of run ``run`` as CSV artifacts and return the summary (also saved
    as JSON)."""
    test, fit, folds = engine_rows(automl)
    labelled = labelled_positions(df, automl.target_, str(automl.task_))
    n_rows = automl.split_rows_["n_rows"]
    if len(labelled) != n_rows:  # the engine dropped rows differently: say so
        labelled = np.arange(n_rows)
    parts = plan_parts(len(labelled), test, fit, folds)
    summary: dict[str, Any] = {
        "kind": "holdout" if len(folds) == 1 else "cv",
        "description": automl.split_description_,
        "rule": getattr(automl, "split_rule_", ""),
        "n_rows": len(df),
        "n_labelled": len(labelled),
        "n_folds": len(folds),
        "unused": int(parts["unused"]),
        "fold_sizes": [len(v) for _, v in folds],
        "parts": {},
    }
    with tempfile.TemporaryDirectory(prefix="tunelab-splits-") as tmp:
        for part in PARTS:
            rows = parts[part]
            if rows is None or len(rows) == 0:  # CV has no valid part; test may be empty
                continue
            positions = labelled[rows]
            frame = df.iloc[positions].copy()
            frame.insert(0, "_row", positions)
            if part == "train" and parts["fold"] is not None:
                frame.insert(1, "_fold", parts["fold"])
            local = Path(tmp) / f"{part}.csv"
            frame.to_csv(local, index=False)
            ctx.artifacts.put_file(split_part_key(experiment_id, part, run), local)
            summary["parts"][part] = {"rows": len(positions)}
    ctx.artifacts.put_bytes(splits_summary_key(experiment_id, run), json.dumps(summary).encode())
    return summary
