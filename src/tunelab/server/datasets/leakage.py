"""The leakage check before a run: which columns alone predict the target almost perfectly.

The same check the engine runs at training time (``tunelab.data.find_leakage``: a
one-feature model per column, cross-validated on at most 5,000 rows), run on the stored
table as soon as a target is chosen and cached beside the dataset
(``datasets/<id>/leakage/<digest>.json``), so the Columns and Setup pages show it before the
run starts.
"""

import hashlib
import json
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import leakage_key
from tunelab.server.datasets.column_settings import profile_columns
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore


def _key(dataset_id: str, target: str, task: str | None) -> str:
    digest = hashlib.sha256(f"{target}\x00{task or ''}".encode()).hexdigest()[:16]
    return leakage_key(dataset_id, digest)


def leakage_check(
    store: MetadataStore,
    artifacts: ArtifactStore,
    dataset_id: str,
    target: str,
    task: str | None = None,
) -> dict[str, Any]:
    """``{"target", "task", "columns": [{column, score, metric, message}]}`` (most
    suspicious first); 422 naming ``target`` when it is not a column of the dataset."""
    key = _key(dataset_id, target, task)
    if artifacts.exists(key):
        return dict(json.loads(artifacts.read_bytes(key)))
    dataset = store.get_dataset(dataset_id)
    known = profile_columns(dataset)
    if known and target not in known:
        raise FieldError(
            ["query", "target"], f"column {target!r} is not in the dataset", "value_error"
        )
    from tunelab.data import find_leakage, prepare_target, read_table
    from tunelab.entities import ColumnKind

    with tempfile.TemporaryDirectory(prefix="tunelab-leakage-") as tmp:
        local = artifacts.get_file(dataset.uri, Path(tmp) / PurePosixPath(dataset.uri).name)
        frame = read_table(local)
    prepared = prepare_target(frame, target, task)
    kinds = {
        name: ColumnKind(column["kind"])
        for name, column in known.items()
        if name != target and name in prepared.X.columns
    }
    found = find_leakage(prepared.X, prepared.y, prepared.task, kinds=kinds or None)
    columns = [
        {"column": w.column, "score": w.score, "metric": w.metric, "message": w.message}
        for w in sorted(found, key=lambda w: -w.score)
    ]
    result = {"target": target, "task": str(prepared.task), "columns": columns}
    artifacts.put_bytes(key, json.dumps(result).encode())
    return result
