"""Small public datasets shipped inside the package, to try tunelab without a file."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import dataset_file_key
from tunelab.entities.platform import NotFoundError
from tunelab.server.datasets.service import new_dataset_id, register_dataset
from tunelab.tracking import MetadataStore

SAMPLES_DIR = Path(__file__).parent / "samples"


@cache
def _catalog() -> tuple[dict[str, Any], ...]:
    entries = json.loads((SAMPLES_DIR / "samples.json").read_text(encoding="utf-8"))
    return tuple(entries)


def list_samples() -> list[dict[str, Any]]:
    """Every bundled sample: name, title, task, target, rows, columns, source, licence..."""
    return [{k: v for k, v in entry.items() if k != "file"} for entry in _catalog()]


def get_sample(name: str) -> dict[str, Any]:
    """One sample's catalog entry; NotFoundError naming it (and the known ones) otherwise."""
    for entry in _catalog():
        if entry["name"] == name:
            return dict(entry)
    known = ", ".join(e["name"] for e in _catalog())
    raise NotFoundError(f"sample dataset {name!r} does not exist; known samples: {known}")


def sample_path(name: str) -> Path:
    return SAMPLES_DIR / str(get_sample(name)["file"])


def create_sample_dataset(
    store: MetadataStore, artifacts: ArtifactStore, name: str
) -> tuple[str, str]:
    """Copy the sample ``name`` into the artifact store as a new dataset.

    Returns ``(dataset_id, job_id)`` — the job parses and profiles it. Used by the
    ``POST /api/v1/datasets/samples/{name}`` endpoint and by ``tunelab serve --sample``.
    """
    entry = get_sample(name)
    dataset_id = new_dataset_id()
    info = artifacts.put_file(dataset_file_key(dataset_id, entry["file"]), sample_path(name))
    return register_dataset(
        store,
        artifacts,
        dataset_id=dataset_id,
        name=str(entry["file"]),
        source=f"sample:{name}",
        info=info,
    )
