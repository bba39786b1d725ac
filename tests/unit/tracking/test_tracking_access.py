"""Access rows (owner, shares) go with their resource; a deleted experiment's models keep its
owner and shares; resources made before auth get an owner."""

from sqlalchemy import text

from tunelab.entities.auth import (
    Principal,
    ResourceKind,
    Role,
    ShareLevel,
    Visibility,
    acting_user,
)
from tunelab.tracking import MetadataStore


def _rows(store: MetadataStore, resource_id: str) -> int:
    with store.engine.connect() as connection:
        return sum(
            connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE resource_id = :id"),
                {"id": resource_id},
            ).scalar_one()
            for table in ("resource_access", "resource_shares")
        )


def _as(store: MetadataStore, name: str, role: Role = Role.EDITOR) -> Principal:
    user = store.create_user(name, role)
    return Principal(user.id, user.name, user.role)


def test_access_rows_are_removed_with_their_resource(store: MetadataStore) -> None:
    owner = _as(store, "owner")
    _as(store, "friend")
    mark = acting_user.set(owner)
    try:
        dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
        spare = store.add_dataset(name="e", source="upload", uri="k", size_bytes=3, sha256="x")
        experiment = store.create_experiment(dataset_id=dataset.id, target="y")
        model = store.add_model(name="m", uri="nowhere")
        deployment = store.create_deployment(model.id, name="dep")
        kept = store.add_model(name="kept", uri="nowhere")
    finally:
        acting_user.reset(mark)
    friend = {"friend": ShareLevel.READ}
    resources = [
        (ResourceKind.DATASET, spare.id),
        (ResourceKind.EXPERIMENT, experiment.id),
        (ResourceKind.MODEL, model.id),
        (ResourceKind.DEPLOYMENT, deployment.id),
        (ResourceKind.MODEL, kept.id),
    ]
    for kind, resource_id in resources:
        store.set_access(kind, resource_id, shares=friend)
        assert _rows(store, resource_id) == 2

    store.delete_dataset(spare.id)
    store.delete_experiment(experiment.id)
    store.delete_model(model.id, cascade=True)  # takes its deployment along
    for _, resource_id in resources[:-1]:
        assert _rows(store, resource_id) == 0
    assert _rows(store, kept.id) == 2


def test_models_of_a_deleted_experiment_keep_its_owner_and_shares(store: MetadataStore) -> None:
    owner = _as(store, "owner")
    friend = _as(store, "friend")
    mark = acting_user.set(owner)
    try:
        dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
        experiment = store.create_experiment(dataset_id=dataset.id, target="y")
    finally:
        acting_user.reset(mark)
    model = store.add_model(name="m", uri="nowhere", experiment_id=experiment.id)  # by a job
    store.set_access(ResourceKind.EXPERIMENT, experiment.id, shares={"friend": ShareLevel.READ})
    assert store.permission(friend, ResourceKind.MODEL, model.id) is ShareLevel.READ

    store.delete_experiment(experiment.id)
    access = store.get_access(ResourceKind.MODEL, model.id)
    assert access.owner_name == "owner"
    assert access.shares == {"friend": ShareLevel.READ}
    assert store.permission(friend, ResourceKind.MODEL, model.id) is ShareLevel.READ


def test_resources_without_an_owner_are_adopted_once(store: MetadataStore) -> None:
    store.create_user("admin", Role.ADMIN)
    editor = _as(store, "editor")
    dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=3, sha256="x")
    experiment = store.create_experiment(dataset_id=dataset.id, target="y")
    by_run = store.add_model(name="m", uri="nowhere", experiment_id=experiment.id)
    loose = store.add_model(name="loose", uri="nowhere")
    store.set_access(ResourceKind.MODEL, loose.id, visibility=Visibility.EVERYONE)  # no owner
    mark = acting_user.set(editor)
    try:
        theirs = store.add_dataset(name="t", source="upload", uri="k", size_bytes=3, sha256="x")
    finally:
        acting_user.reset(mark)

    assert store.adopt_ownerless("admin") == {
        ResourceKind.DATASET: 1,
        ResourceKind.EXPERIMENT: 1,
        ResourceKind.MODEL: 1,
    }
    assert store.get_access(ResourceKind.DATASET, dataset.id).owner_name == "admin"
    assert store.get_access(ResourceKind.EXPERIMENT, experiment.id).owner_name == "admin"
    kept = store.get_access(ResourceKind.MODEL, loose.id)
    assert (kept.owner_name, kept.visibility) == ("admin", Visibility.EVERYONE)
    assert store.get_access(ResourceKind.MODEL, by_run.id).owner_name is None  # with its run
    assert store.get_access(ResourceKind.DATASET, theirs.id).owner_name == "editor"
    assert store.adopt_ownerless("admin") == {}
