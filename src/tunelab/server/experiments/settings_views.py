"""``/api/v1/experiments``: re-apply settings to another dataset, target classes, split parts."""

from typing import Any, Literal

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from tunelab.entities.platform import NotFoundError
from tunelab.server.deps import ArtifactsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.experiments import service
from tunelab.server.experiments.schemas import (
    ApplyIn,
    ApplyOut,
    ClassCounts,
    RunQuery,
    SplitsOut,
)
from tunelab.server.experiments.target import class_counts

router = APIRouter(prefix="/experiments", tags=["experiments"])

# settings that name a column of the dataset: (group, key of the column name, drop the whole
# group or only the key)
_COLUMN_SETTINGS = (("split", "column", True), ("clustering", "label", False))


def _portable_settings(
    settings: dict[str, Any], columns: list[str] | None
) -> tuple[dict[str, Any], list[str]]:
    """The settings minus those naming a column the other dataset lacks."""
    out, dropped = dict(settings), []
    for group, key, whole in _COLUMN_SETTINGS:
        part = out.get(group)
        if not isinstance(part, dict) or part.get(key) is None or columns is None:
            continue
        if part[key] not in columns:
            out[group] = None if whole else {**part, key: None}
            dropped.append(group if whole else f"{group}.{key}")
    return out, dropped


@router.post(
    "/{experiment_id}/apply-to", status_code=status.HTTP_201_CREATED, response_model=ApplyOut
)
def apply_to_dataset(experiment_id: str, body: ApplyIn, store: StoreDep) -> ApplyOut:
    """A new ``ready`` experiment on ``dataset_id`` with this one's settings.

    The target is kept when the other dataset has that column (else left unset: set it
    before starting); settings naming an absent column (a split column) are dropped and
    listed in ``dropped``.
    """
    source = store.get_experiment(experiment_id)
    store.get_dataset(body.dataset_id)
    columns = service.dataset_columns(store, body.dataset_id)
    target = source.target or None
    if target and columns is not None and target not in columns:
        target = None
    settings, dropped = _portable_settings(source.settings, columns)
    if source.target and target is None:
        dropped.append("target")
    if target is None and (source.settings.get("sampling") or {}).get("balance_to"):
        settings["sampling"] = {**settings["sampling"], "balance_to": None}
        dropped.append("sampling.balance_to")
    keep = bool(target) or service.is_clustering(source.task)  # clustering has no target
    service.validate_settings(
        store,
        dataset_id=body.dataset_id,
        target=target,
        task=source.task if keep else None,
        metric=source.metric if keep else None,
        settings=settings,
    )
    copy = store.create_experiment(
        dataset_id=body.dataset_id,
        target=target or "",
        name=body.name or f"{source.name} (applied)",
        task=source.task if keep else None,
        metric=source.metric if keep else None,
        settings=settings,
    )
    return ApplyOut(id=copy.id, target=target, dropped=dropped)


@router.get("/{experiment_id}/classes", response_model=ClassCounts)
def target_classes(
    experiment_id: str, store: StoreDep, artifacts: ArtifactsDep, target: str | None = None
) -> Any:
    """Rows per class of the target (what the class balancer draws) and the task the engine
    infers from it; ``target`` asks about another column (a target not saved yet).
    422 without a target or when the column does not exist."""
    experiment = store.get_experiment(experiment_id)
    if target is None:
        service.require_target(experiment)
        target = experiment.target
    columns = service.dataset_columns(store, experiment.dataset_id)
    if columns is not None and target not in columns:
        raise FieldError(
            ["query", "target"], f"column {target!r} is not in the dataset", "value_error"
        )
    return class_counts(store, artifacts, experiment.dataset_id, target)


@router.get("/{experiment_id}/splits", response_model=SplitsOut)
def split_summary(
    experiment_id: str, store: StoreDep, artifacts: ArtifactsDep, run: RunQuery = None
) -> Any:
    """Rows in train/valid/test (and folds) of a run (the latest by default); 404 before a
    run saved them."""
    import json

    store.get_experiment(experiment_id)
    number = run or store.latest_run_number(experiment_id)
    key = service.split_key(artifacts, experiment_id, number)
    if key is None:
        raise NotFoundError(f"experiment {experiment_id!r} has no saved split yet: run it first")
    return json.loads(artifacts.read_bytes(key))


@router.get(
    "/{experiment_id}/splits/{part}",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def download_split(
    experiment_id: str,
    part: Literal["train", "valid", "test"],
    store: StoreDep,
    artifacts: ArtifactsDep,
    run: RunQuery = None,
) -> StreamingResponse:
    """The rows of one part of a run (the latest by default) as CSV (``_row`` = position
    in the uploaded table; with CV the train part has ``_fold`` and there is no valid part)."""
    store.get_experiment(experiment_id)
    number = run or store.latest_run_number(experiment_id)
    key = service.split_key(artifacts, experiment_id, number, part)
    if key is None:
        raise NotFoundError(f"experiment {experiment_id!r} has no saved {part} part")
    filename = f"{experiment_id}-{part}.csv"
    return StreamingResponse(
        artifacts.iter_chunks(key),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
