"""Apply a set of column-setting changes keeping what was there before, and undo it.

The settings a recommendation changed, as they were before it, are kept in the artifact
store (``column_settings_undo_key``); undo puts back exactly those (edits made since to
other settings, such as the data dictionary, stay) and forgets them.
"""

import json
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import column_settings_undo_key
from tunelab.entities.platform import ConflictError
from tunelab.server.datasets.column_settings import merge_changes
from tunelab.tracking import MetadataStore


def apply_with_undo(
    store: MetadataStore,
    artifacts: ArtifactStore,
    dataset_id: str,
    changes: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Merge ``changes`` (checked like a PATCH) and keep the previous settings for undo."""
    dataset = store.get_dataset(dataset_id)
    merged = merge_changes(dataset, changes)
    before = {
        column: {
            setting: [
                setting in (dataset.column_settings.get(column) or {}),
                (dataset.column_settings.get(column) or {}).get(setting),
            ]
            for setting in values
        }
        for column, values in changes.items()
    }
    artifacts.put_bytes(column_settings_undo_key(dataset_id), json.dumps(before).encode())
    return store.update_dataset(dataset_id, column_settings=merged).column_settings


def can_undo(artifacts: ArtifactStore, dataset_id: str) -> bool:
    return artifacts.exists(column_settings_undo_key(dataset_id))


def undo(store: MetadataStore, artifacts: ArtifactStore, dataset_id: str) -> dict[str, Any]:
    """Put back the settings from before the last applied recommendation (409 if none)."""
    key = column_settings_undo_key(dataset_id)
    if not artifacts.exists(key):
        raise ConflictError(f"dataset {dataset_id!r} has no applied recommendation to undo")
    before = json.loads(artifacts.read_bytes(key))
    current = {k: dict(v) for k, v in store.get_dataset(dataset_id).column_settings.items()}
    for column, values in before.items():
        column_values = current.setdefault(column, {})
        for setting, (present, value) in values.items():
            if present:
                column_values[setting] = value
            else:
                column_values.pop(setting, None)
        if not column_values:
            current.pop(column)
    settings = store.update_dataset(dataset_id, column_settings=current).column_settings
    artifacts.delete(key)
    return settings
