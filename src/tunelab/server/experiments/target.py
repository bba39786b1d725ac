"""Class counts of a target column (for the class balancer), read once and cached.

The profile holds complete counts for categorical columns with few levels and, since the
profile job stores them (``profile["targets"]``), the task and counts of numeric columns: a
numeric column with more distinct values is a regression target. Only datasets profiled
before that need the column itself, read from the stored file once and cached as JSON
beside the dataset (``datasets/<id>/class_counts/<sha of the name>.json``).
"""

import hashlib
import json
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import class_counts_key
from tunelab.entities.errors import DataError
from tunelab.server.experiments import service
from tunelab.tracking import MetadataStore

MAX_CLASSES = 100


def _cache_key(dataset_id: str, target: str) -> str:
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    return class_counts_key(dataset_id, digest)


def _read_column(artifacts: ArtifactStore, uri: str, target: str) -> Any:
    import pandas as pd

    from tunelab.data import read_table

    suffix = PurePosixPath(uri).suffix
    with tempfile.TemporaryDirectory(prefix="tunelab-target-") as tmp:
        local = artifacts.get_file(uri, Path(tmp) / PurePosixPath(uri).name)
        if suffix == ".parquet":
            return pd.read_parquet(local, columns=[target])[target]
        frame = read_table(local)
    if target not in frame.columns:
        raise DataError(f"column {target!r} is not in the dataset")
    return frame[target]


def class_counts(
    store: MetadataStore, artifacts: ArtifactStore, dataset_id: str, target: str
) -> dict[str, Any]:
    """``{"counts": {label: rows}, "task": ...}`` largest class first; empty for regression."""
    cached_key = _cache_key(dataset_id, target)
    if artifacts.exists(cached_key):
        return dict(json.loads(artifacts.read_bytes(cached_key)))
    dataset = store.get_dataset(dataset_id)
    known = service.profile_classes(store, dataset_id, target)
    stored = service.profile_target(store, dataset_id, target)
    if known is not None:
        task = "binary" if len(known) <= 2 else "multiclass"
        counts, n_rows = known, dataset.n_rows or sum(known.values())
    elif stored is not None:  # numeric class codes or amounts, summed up by the profile job
        task, n_rows = stored["task"], dataset.n_rows or sum(stored["counts"].values())
        counts = {} if task == "regression" else dict(stored["counts"])
    else:
        from tunelab.data import infer_task

        values = _read_column(artifacts, dataset.uri, target)
        present = values.dropna()
        if present.empty:
            raise DataError(f"target {target!r} is missing in every row")
        task = str(infer_task(present))
        n_rows = len(values)
        counts = {}
        if task != "regression":
            tallies = present.value_counts()
            counts = {_label(k): int(v) for k, v in tallies.iloc[:MAX_CLASSES].items()}
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    result = {"target": target, "task": task, "counts": ordered, "n_rows": int(n_rows)}
    artifacts.put_bytes(cached_key, json.dumps(result).encode())
    return result


def _label(value: Any) -> str:
    """Labels as the engine prints them: whole floats (1.0) as integers (1)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    item = getattr(value, "item", None)
    return str(item() if callable(item) else value)
