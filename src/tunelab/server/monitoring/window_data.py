"""A dataset from a labelled window of a deployment's prediction log: the logged inputs of
``[start, end)`` whose predictions got a true label, the label as the target column,
optionally after the champion's original training rows. Used by a retrain."""

import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import dataset_file_key
from tunelab.entities.auth import ResourceKind, acting_user
from tunelab.jobs import label_id_range, logged_window
from tunelab.monitoring import ID, inputs_of
from tunelab.server.datasets.service import new_dataset_id, register_dataset
from tunelab.server.errors import FieldError
from tunelab.server.experiments.service import dataset_columns
from tunelab.tracking import MetadataStore

MIN_LABELLED = 20  # fewer labelled rows make no training set worth a run


def labelled_rows(
    store: MetadataStore,
    deployment_id: str,
    start: datetime | None,
    end: datetime | None,
    target: str,
    columns: list[str] | None,
) -> pd.DataFrame:
    """The logged inputs of the window with a label, the label in column ``target``
    (inputs restricted to ``columns`` when given)."""
    frame = logged_window(store, deployment_id, start, end)
    labels = store.labels_between(deployment_id, *label_id_range(start, end))
    if not len(frame) or not labels:
        return pd.DataFrame(columns=[*(columns or []), target])
    keep = frame[ID].isin(labels.keys()).to_numpy()
    inputs = inputs_of(frame).loc[keep]
    if columns is not None:
        inputs = inputs[[c for c in inputs.columns if c in set(columns) and c != target]]
    out = inputs.reset_index(drop=True)
    out[target] = frame.loc[keep, ID].map(labels).to_numpy()
    return out


def _same_kind(labels: pd.Series, original: pd.Series) -> pd.Series:
    """The window's labels with the kind of the original target (numbers stay numbers)."""
    if pd.api.types.is_numeric_dtype(original) and not pd.api.types.is_bool_dtype(original):
        return pd.to_numeric(labels, errors="coerce")
    return labels.map(lambda v: v if v is None else str(v))


def _read_original(artifacts: ArtifactStore, uri: str) -> pd.DataFrame:
    from tunelab.data import read_table

    with tempfile.TemporaryDirectory(prefix="tunelab-retrain-") as tmp:
        local = artifacts.get_file(uri, Path(tmp) / PurePosixPath(uri).name)
        return read_table(local)


def window_dataset(
    store: MetadataStore,
    artifacts: ArtifactStore,
    deployment_id: str,
    source_dataset_id: str,
    target: str,
    start: datetime | None,
    end: datetime | None,
    *,
    include_training_data: bool = False,
) -> tuple[str, dict[str, int]]:
    """Store the labelled window (after the original rows when asked) as a new dataset with
    the original dataset's column settings; returns its id and the rows from each source.
    422 when the window holds fewer than ``MIN_LABELLED`` labelled predictions, or when the
    original rows are asked for by a user who may not see that dataset."""
    source = store.get_dataset(source_dataset_id)
    principal = acting_user.get()
    hidden = (
        include_training_data
        and principal is not None
        and store.permission(principal, ResourceKind.DATASET, source_dataset_id) is None
    )
    if hidden:
        raise FieldError(
            ["body", "include_training_data"],
            "the champion's training dataset is not shared with you; retrain on the window alone",
            "value_error",
        )
    window = labelled_rows(
        store, deployment_id, start, end, target, dataset_columns(store, source_dataset_id)
    )
    if len(window) < MIN_LABELLED:
        raise FieldError(
            ["body", "window"],
            f"the window holds {len(window)} labelled predictions; a retrain on the log needs "
            f"at least {MIN_LABELLED} (post labels first)",
            "value_error",
        )
    counts = {"window": len(window)}
    table = window
    if include_training_data:
        original = _read_original(artifacts, source.uri)
        if target in original.columns:
            window = window.assign(**{target: _same_kind(window[target], original[target])})
        table = pd.concat([original, window], ignore_index=True)
        counts["original"] = len(original)
    dataset_id = new_dataset_id()
    name = f"retrain-{deployment_id[:8]}-window.csv"
    with tempfile.TemporaryDirectory(prefix="tunelab-retrain-") as tmp:
        path = Path(tmp) / name
        table.to_csv(path, index=False)
        info = artifacts.put_file(dataset_file_key(dataset_id, name), path)
    register_dataset(
        store,
        artifacts,
        dataset_id=dataset_id,
        name=name,
        source=f"deployment:{deployment_id}:window",
        info=info,
    )
    if source.column_settings:
        store.update_dataset(dataset_id, column_settings=source.column_settings)
    return dataset_id, counts


def window_bounds(window: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """``{"start", "end"}`` (ISO times, both optional) as a checked window; 422 naming
    ``body.window.<field>`` otherwise."""
    from tunelab.server.monitoring.service import window_of

    try:
        return window_of(window.get("start"), window.get("end"))
    except FieldError as exc:
        name, message = str(exc.errors[0]["loc"][-1]), str(exc.errors[0]["msg"])
        raise FieldError(["body", "window", name], message, "value_error") from None
