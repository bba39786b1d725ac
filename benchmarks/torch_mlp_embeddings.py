"""torch_mlp: one-hot ("linear" flavor) vs. category codes with embeddings or in-network one-hot.

Usage: ``uv run python benchmarks/torch_mlp_embeddings.py --out runs/torch_mlp_embeddings.json``.
Each dataset is split 60/20/20 (train / early-stopping rows / test, stratified) once per seed
(``--seeds N``: seeds 0..N-1, which also seed the networks); the three variants use the same rows
and torch_mlp's default parameters, and are scored by ROC AUC on the test rows. Reads the tables
from /work/shared/datasets (``--data``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from tunelab.entities import ColumnKind, ColumnSettings, PreprocessingSettings, TaskType
from tunelab.models import ModelContext, get_model_spec
from tunelab.preprocessing import make_model_pipeline

VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "one-hot (linear flavor)": ("linear", {}),
    "embeddings (embed flavor)": ("embed", {"cat_encoding": "embedding"}),
    "one-hot in network (embed flavor)": ("embed", {"cat_encoding": "onehot"}),
    "auto: one-hot <= 8 levels, embeddings above": ("embed", {"onehot_max_levels": 8}),
    "auto: one-hot <= 1024 levels, embeddings above": ("embed", {"onehot_max_levels": 1024}),
    "auto: one-hot <= 16384 levels (default)": ("embed", {"onehot_max_levels": 16384}),
}
DATASETS = {
    "credit-g": ("class", None),
    "bank-marketing": ("y", 10_000),
    "amazon_employee_access": ("ACTION", 10_000),  # nine ID-like categories, 67-7518 levels
}


def settings_for(frame: pd.DataFrame) -> PreprocessingSettings:
    columns = {
        str(c): ColumnSettings(
            kind=ColumnKind.NUMERIC
            if pd.api.types.is_numeric_dtype(frame[c])
            else ColumnKind.CATEGORICAL
        )
        for c in frame.columns
    }
    return PreprocessingSettings(columns=columns)


def run_variant(
    flavor: str, extra: dict[str, Any], parts: tuple[pd.DataFrame, ...], target: str, seed: int
) -> dict[str, Any]:
    train, valid, test = parts
    spec = get_model_spec("torch_mlp")
    X = train.drop(columns=[target])
    ctx = ModelContext(
        task=TaskType.BINARY, n_rows=len(X), n_features=X.shape[1], n_classes=2, random_state=seed
    )
    estimator = spec.make({**spec.default_params(ctx), **extra}, ctx)
    model = make_model_pipeline(settings_for(X), estimator, task="binary", flavor=flavor)
    started = time.monotonic()
    model.fit(
        X,
        train[target],
        eval_frame=valid.drop(columns=[target]),
        eval_target=valid[target],
        fit_estimator=spec.fit,
    )
    seconds = time.monotonic() - started
    proba = model.predict_proba(test.drop(columns=[target]))
    positive = model.classes_[1]
    return {
        "roc_auc": round(float(roc_auc_score(test[target] == positive, proba[:, 1])), 4),
        "best_epoch": int(model.estimator_.best_epoch_),
        "n_inputs": int(model.transform(X.head(1)).shape[1]),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/datasets"))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("runs/torch_mlp_embeddings.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name in args.datasets:
        target, max_rows = DATASETS[name]
        frame = pd.read_parquet(args.data / f"{name}.parquet")
        if max_rows and len(frame) > max_rows:
            frame = frame.sample(max_rows, random_state=0).reset_index(drop=True)
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label in VARIANTS}
        for seed in range(args.seeds):
            rest, test = train_test_split(
                frame, test_size=0.2, random_state=seed, stratify=frame[target]
            )
            train, valid = train_test_split(
                rest, test_size=0.25, random_state=seed, stratify=rest[target]
            )
            for label, (flavor, extra) in VARIANTS.items():
                out = run_variant(flavor, extra, (train, valid, test), target, seed)
                runs[label].append(out)
                print(name, seed, label, out, flush=True)
        results[name] = {
            "rows": len(frame),
            **{
                label: {
                    "mean_roc_auc": round(sum(r["roc_auc"] for r in rs) / len(rs), 4),
                    "runs": rs,
                }
                for label, rs in runs.items()
            },
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"seeds": args.seeds, "results": results}, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
