"""Retraining a deployment's champion on new data (a dataset, or a labelled window of its
prediction log), and promoting the challenger."""

import contextlib
import re
from datetime import datetime
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.auth import ResourceKind, acting_user
from tunelab.entities.errors import ConfigError
from tunelab.entities.platform import ConflictError, ExperimentStatus, JobKind, NotFoundError
from tunelab.server.experiments import service as experiments
from tunelab.server.monitoring.window_data import window_dataset
from tunelab.tracking import MetadataStore

CHAMPION, CHALLENGER = "champion", "challenger"
MAX_LISTED = 20
TEST_RATIO = 0.2  # held back by a retrain whose champion's settings hold back no test part


def with_test_part(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with an untouched test part (20%) unless they already hold one back
    (a holdout by ratios keeps its own three parts)."""
    out = dict(settings)
    split = out.get("split")
    if not split:
        if not out.get("test_ratio"):
            out["test_ratio"] = TEST_RATIO
    elif split.get("kind", "cv") != "holdout" and not split.get("test_ratio"):
        out["split"] = {**split, "test_ratio": TEST_RATIO}
    return out


def _registry_name(deployment_name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", deployment_name).strip("-._")[:128]
    return name or "model"


def _own_registry_name(store: MetadataStore, name: str) -> str:
    """``name``, or ``name-<user>`` when ``name`` is a registered model of someone else."""
    principal = acting_user.get()
    if principal is None or store.may_edit(ResourceKind.REGISTERED_MODEL, name):
        return name
    try:
        store.get_registered_model(name)
    except NotFoundError:
        return name
    return f"{name}-{principal.name}"[:128]


def champion_reference(store: MetadataStore, deployment_id: str) -> tuple[str, int]:
    """``(name, version)`` of the deployment's model in the registry, registering it (as
    ``champion``) when it is not, and making the deployment follow ``name@champion`` when it
    serves its model directly, so a promotion moves it."""
    deployment = store.get_deployment(deployment_id)
    versions = [  # a registered model the caller may not change is not theirs to promote in
        v
        for v in store.versions_of_model(deployment.model_id)
        if store.may_edit(ResourceKind.REGISTERED_MODEL, v.name)
    ]
    if versions:
        name, number = versions[0].name, versions[0].version
    else:
        name = _own_registry_name(store, _registry_name(deployment.name))
        with contextlib.suppress(ConflictError):
            store.create_registered_model(name, description=f"deployment {deployment.name}")
        number = store.add_model_version(name, deployment.model_id).version
    try:
        current = store.resolve_reference(f"{name}@{CHAMPION}")
    except (NotFoundError, ConfigError):
        current = None
    if current is None:
        store.set_alias(name, CHAMPION, number, actor="retrain")
    if store.get_traffic(deployment_id) is None:
        if current is not None and current.version != number:
            raise ConflictError(
                f"deployment {deployment_id} serves {name}/{number} directly but "
                f"{name}@{CHAMPION} is version {current.version}; deploy {name}@{CHAMPION} "
                "to retrain it"
            )
        store.set_traffic(
            deployment_id,
            routes=[{"model": f"{name}@{CHAMPION}", "weight": 100.0}],
            shadow=[],
            sticky=False,
        )
    return name, number


def _champion_experiment(store: MetadataStore, deployment_id: str) -> tuple[Any, Any]:
    """The deployment's model and the experiment it came from (409 without one)."""
    deployment = store.get_deployment(deployment_id)
    model = store.get_model(deployment.model_id)
    if model.experiment_id is None:
        raise ConflictError(
            f"the model of deployment {deployment_id} has no experiment: its settings are "
            "unknown, so it cannot be retrained"
        )
    return model, store.get_experiment(model.experiment_id)


def start_retrain(
    store: MetadataStore,
    deployment_id: str,
    dataset_id: str,
    *,
    auto_promote: bool = False,
    min_improvement: float = 0.0,
    training_rows: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Queue the retrain job: a new experiment with the champion's settings on
    ``dataset_id``. Returns the job and experiment ids."""
    model, old = _champion_experiment(store, deployment_id)
    store.get_dataset(dataset_id)
    if old.target:
        experiments.check_target(store, dataset_id, old.target)
    name, version = champion_reference(store, deployment_id)
    experiment = store.create_experiment(
        dataset_id=dataset_id,
        target=old.target or "",
        name=f"{old.name} (retrain)",
        task=old.task,
        metric=old.metric,
        settings=with_test_part(dict(old.settings)),
    )
    store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    payload = {
        "experiment_id": experiment.id,
        "deployment_id": deployment_id,
        "champion_model_id": model.id,
        "champion": f"{name}/{version}",
        "name": name,
        "auto_promote": auto_promote,
        "min_improvement": min_improvement,
    }
    if training_rows is not None:
        payload["training_rows"] = training_rows
    job = store.enqueue_job(JobKind.RETRAIN, payload)
    store.update_experiment(experiment.id, job_id=job.id)
    return {
        "id": job.id,
        "job_id": job.id,
        "experiment_id": experiment.id,
        "name": name,
        "dataset_id": dataset_id,
    }


def start_window_retrain(
    store: MetadataStore,
    artifacts: ArtifactStore,
    deployment_id: str,
    start: datetime | None,
    end: datetime | None,
    *,
    include_training_data: bool = False,
    auto_promote: bool = False,
    min_improvement: float = 0.0,
) -> dict[str, Any]:
    """Queue a retrain on the labelled predictions logged in ``[start, end)`` (after the
    champion's training rows when ``include_training_data``), stored as a new dataset."""
    _, old = _champion_experiment(store, deployment_id)
    if not old.target:
        raise ConflictError(f"the experiment {old.id} of the champion has no target")
    dataset_id, counts = window_dataset(
        store,
        artifacts,
        deployment_id,
        old.dataset_id,
        old.target,
        start,
        end,
        include_training_data=include_training_data,
    )
    return start_retrain(
        store,
        deployment_id,
        dataset_id,
        auto_promote=auto_promote,
        min_improvement=min_improvement,
        training_rows=counts,
    )


def retrains(store: MetadataStore, deployment_id: str) -> list[dict[str, Any]]:
    """This deployment's retrain jobs, newest first, with their comparison when done."""
    store.get_deployment(deployment_id)
    out = []
    for job in store.list_jobs(kind=JobKind.RETRAIN.value, limit=200):
        if job.payload.get("deployment_id") != deployment_id:
            continue
        out.append(
            {
                "job_id": job.id,
                "status": job.status.value,
                "experiment_id": job.payload.get("experiment_id"),
                "created_at": job.created_at,
                "error": job.error,
                "result": job.result,
            }
        )
        if len(out) >= MAX_LISTED:
            break
    return out


def promote(
    store: MetadataStore, traffic: Any, predictors: Any, deployment_id: str, version: int
) -> dict[str, Any]:
    """Make ``version`` of the deployment's registered model its ``champion``: the bundle is
    loaded first, the traffic rebuilt, then the alias moves and the new plan is swapped in
    (no request fails)."""
    name, _ = champion_reference(store, deployment_id)
    found = store.get_model_version(name, version)
    predictors.for_model(found.model_id)  # load (and verify) the bundle before the move
    traffic.refresh(deployment_id)
    plans = traffic.prepare_alias_move(name, CHAMPION, found.version)
    event = store.set_alias(name, CHAMPION, found.version, actor="promote")
    for plan in plans:
        traffic.swap(plan)
    return {"name": name, "version": found.version, "from_version": event.from_version}
