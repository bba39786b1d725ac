"""The model registry store (SQLite and PostgreSQL): versions, aliases, history, traffic."""

import pytest

from tunelab.entities import ConfigError
from tunelab.entities.platform import ConflictError, NotFoundError
from tunelab.tracking import MetadataStore


def _model(store: MetadataStore, name: str = "lgbm") -> str:
    dataset = store.add_dataset(name="d.csv", source="upload", uri="k", size_bytes=1, sha256="f00")
    experiment = store.create_experiment(
        dataset_id=dataset.id, target="y", name="exp", settings={"time_budget": 5}
    )
    model = store.add_model(
        name=name, uri="models/m", experiment_id=experiment.id, task="binary", metrics={"auc": 0.8}
    )
    return model.id


def test_versions_count_up_and_keep_metrics_and_lineage(store: MetadataStore) -> None:
    first, second = _model(store), _model(store)
    store.create_registered_model("churn", description="who leaves")
    v1 = store.add_model_version("churn", first, tags={"owner": "kim"})
    v2 = store.add_model_version("churn", second)
    assert (v1.version, v2.version, v1.label) == (1, 2, "churn/1")
    assert v1.metrics == {"auc": 0.8}
    assert v1.tags == {"owner": "kim"}
    assert v1.lineage["dataset_fingerprint"] == "f00"
    assert v1.lineage["settings"] == {"time_budget": 5}
    assert v1.lineage["target"] == "y"
    assert [v.version for v in store.list_model_versions("churn")] == [2, 1]
    registered = store.get_registered_model("churn")
    assert (registered.description, registered.latest_version) == ("who leaves", 2)
    assert [r.name for r in store.list_registered_models()] == ["churn"]
    assert [v.label for v in store.versions_of_model(first)] == ["churn/1"]


def test_bad_names_duplicates_and_unknowns_are_refused(store: MetadataStore) -> None:
    model_id = _model(store)
    store.create_registered_model("churn")
    with pytest.raises(ConflictError, match="'churn' already exists"):
        store.create_registered_model("churn")
    with pytest.raises(ConfigError, match="name 'a b'"):
        store.create_registered_model("a b")
    with pytest.raises(NotFoundError, match="registered model 'nope'"):
        store.add_model_version("nope", model_id)
    with pytest.raises(NotFoundError, match="model 'missing'"):
        store.add_model_version("churn", "missing")
    store.add_model_version("churn", model_id)
    with pytest.raises(NotFoundError, match="no version 9"):
        store.set_alias("churn", "champion", 9)
    for bad in ("Champion", "a.b", "", "12", "x" * 65):
        with pytest.raises(ConfigError, match="alias"):
            store.set_alias("churn", bad, 1)
    with pytest.raises(ConflictError, match="registered as churn/1"):
        store.delete_model(model_id)


def test_alias_moves_resolve_and_are_recorded(store: MetadataStore) -> None:
    a, b = _model(store), _model(store)
    store.create_registered_model("churn")
    store.add_model_version("churn", a)
    store.add_model_version("churn", b)
    store.set_alias("churn", "champion", 1)
    assert store.resolve_reference("churn@champion").model_id == a
    store.set_alias("churn", "champion", 2)  # promote
    store.set_alias("churn", "champion", 1, actor="kim")  # roll back
    assert store.resolve_reference("churn@champion").model_id == a
    assert store.resolve_reference("churn/2").model_id == b
    assert store.get_model_version("churn", 1).aliases == ("champion",)
    assert store.get_registered_model("churn").aliases == {"champion": 1}
    marker = store.last_alias_event_id()
    assert store.alias_moves_since(marker) == set()
    assert store.alias_moves_since(0) == {"churn"}
    store.delete_alias("churn", "champion")
    assert store.last_alias_event_id() > marker
    history = store.alias_history("churn")
    assert [(e.from_version, e.to_version, e.actor) for e in history] == [
        (1, None, "local"),
        (2, 1, "kim"),
        (1, 2, "local"),
        (None, 1, "local"),
    ]
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        store.resolve_reference("churn@champion")
    with pytest.raises(ConfigError, match="NAME@ALIAS or NAME/VERSION"):
        store.resolve_reference("churn")


def test_deploying_a_reference_keeps_its_traffic(store: MetadataStore) -> None:
    a, b = _model(store), _model(store)
    store.create_registered_model("churn")
    store.add_model_version("churn", a)
    store.add_model_version("churn", b)
    store.set_alias("churn", "champion", 1)
    store.set_alias("churn", "challenger", 2)
    deployment = store.deploy_reference("churn@champion")
    assert (deployment.name, deployment.model_id) == ("churn", a)
    traffic = store.get_traffic(deployment.id)
    assert traffic is not None
    assert traffic.routes == [{"model": "churn@champion", "weight": 100.0}]
    store.set_traffic(
        deployment.id,
        routes=[
            {"model": "churn@champion", "weight": 90},
            {"model": "churn@challenger", "weight": 10},
        ],
        shadow=["churn/2"],
        sticky=True,
    )
    traffic = store.get_traffic(deployment.id)
    assert traffic is not None
    assert traffic.sticky
    assert traffic.shadow == ["churn/2"]
    assert store.deployments_following("churn") == [deployment.id]
    with pytest.raises(ConflictError, match="used by deployment"):
        store.delete_alias("churn", "challenger")
    with pytest.raises(ConfigError, match="weights"):
        store.set_traffic(
            deployment.id, routes=[{"model": "churn/1", "weight": 0}], shadow=[], sticky=False
        )
    with pytest.raises(NotFoundError, match="no version 5"):
        store.set_traffic(
            deployment.id, routes=[{"model": "churn/5", "weight": 1}], shadow=[], sticky=False
        )
    plain = store.create_deployment(a)
    assert store.get_traffic(plain.id) is None
    assert store.set_deployment_model(deployment.id, b).model_id == b
    assert store.get_deployment(deployment.id).model_id == b
    with pytest.raises(NotFoundError, match="model 'nope'"):
        store.set_deployment_model(deployment.id, "nope")
    assert store.active_deployment_named("churn") == store.get_deployment(deployment.id)
    assert store.active_deployment_named(plain.id) == plain
    assert store.active_deployment_named("nothing") is None


def test_predictions_record_the_answering_version(store: MetadataStore) -> None:
    model_id = _model(store)
    deployment = store.create_deployment(model_id)
    stored = store.add_predictions(
        [
            (
                deployment.id,
                {
                    "inputs": [{"a": 1}],
                    "outputs": {"predictions": [1]},
                    "latency_ms": 1.0,
                    "model": "churn/1",
                    "model_id": model_id,
                },
            ),
            (
                deployment.id,
                {
                    "inputs": [{"a": 1}],
                    "outputs": {"predictions": [0]},
                    "latency_ms": 2.0,
                    "model": "churn/2",
                    "shadow": True,
                },
            ),
        ]
    )
    assert stored == 2
    answered = store.list_predictions(deployment.id)
    assert [(p.model_ref, p.model_id, p.shadow) for p in answered] == [
        ("churn/1", model_id, False)
    ]
    shadows = store.list_predictions(deployment.id, shadow=True)
    assert [(p.model_ref, p.shadow) for p in shadows] == [("churn/2", True)]
    assert store.prediction_stats(deployment.id)["count"] == 1
