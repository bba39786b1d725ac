"""Does torch_mlp pay in the AutoML search at a 60 s budget? Default families vs. the same + it.

Usage: ``uv run python benchmarks/torch_mlp_budget.py --budget 60 --out runs/torch_mlp.json``.
Each dataset is split 75/25 (stratified for classification, seed 0); both configurations search
on the same training rows and are scored on the same held-out rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split

from tunelab.automl import AutoML
from tunelab.entities import TaskType
from tunelab.models import families_for_budget

ROOT = Path(__file__).resolve().parents[1]


def datasets() -> dict[str, tuple[pd.DataFrame, str, TaskType]]:
    cancer = load_breast_cancer(as_frame=True).frame
    diabetes = load_diabetes(as_frame=True).frame
    credit = pd.read_csv(ROOT / "examples" / "data" / "credit-g.csv")
    return {
        "credit-g": (credit, "class", TaskType.BINARY),
        "breast_cancer": (cancer, "target", TaskType.BINARY),
        "diabetes": (diabetes, "target", TaskType.REGRESSION),
    }


def run_one(
    frame: pd.DataFrame, target: str, task: TaskType, algorithms: list[str], budget: float
) -> dict[str, Any]:
    stratify = frame[target] if task.is_classification else None
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=stratify)
    started = time.monotonic()
    automl = AutoML(time_budget=budget, algorithms=algorithms, seed=0, n_jobs=1)
    automl.fit(train, target=target)
    elapsed = time.monotonic() - started
    X_test = test.drop(columns=[target])
    if task.is_classification:
        proba = automl.predict_proba(X_test)
        positive = proba.columns[1]
        score = roc_auc_score(test[target] == positive, proba[positive])
        metric = "roc_auc"
    else:
        pred = automl.predict(X_test)
        score = float(np.sqrt(mean_squared_error(test[target], pred)))
        metric = "rmse"
    board = automl.leaderboard()
    return {
        "metric": metric,
        "test_score": float(score),
        "seconds": round(elapsed, 1),
        "trials": len(board),
        "torch_mlp_trials": int(board["name"].str.startswith("torch_mlp").sum()),
        "best": str(board["name"].iloc[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("runs/torch_mlp_budget.json"))
    parser.add_argument(
        "--alone", action="store_true", help="Instead run torch_mlp alone and lightgbm alone."
    )
    args = parser.parse_args()
    results = []
    for name, (frame, target, task) in datasets().items():
        n_features = frame.shape[1] - 1
        default = families_for_budget(task, len(frame), n_features, args.budget)
        configs = [("default", default), ("default+torch_mlp", [*default, "torch_mlp"])]
        if args.alone:
            configs = [("lightgbm alone", ["lightgbm"]), ("torch_mlp alone", ["torch_mlp"])]
        for label, algorithms in configs:
            row = {
                "dataset": name,
                "config": label,
                **run_one(frame, target, task, algorithms, args.budget),
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
