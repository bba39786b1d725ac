"""Models, deployments and the prediction history."""

import pytest

from tunelab.entities.platform import ConflictError, DeploymentStatus, NotFoundError
from tunelab.tracking import MetadataStore


def _model(store: MetadataStore, name: str = "lgbm") -> str:
    dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=1, sha256="s")
    experiment = store.create_experiment(dataset_id=dataset.id, target="y")
    model = store.add_model(
        name=name, uri="models/m1", experiment_id=experiment.id, task="binary", metrics={"auc": 1}
    )
    assert store.get_model(model.id) == model
    assert store.list_models(experiment_id=experiment.id) == [model]
    return model.id


def test_deployment_versions_count_per_name(store: MetadataStore) -> None:
    model_id = _model(store)
    first = store.create_deployment(model_id)
    second = store.create_deployment(model_id)
    other = store.create_deployment(model_id, name="champion")
    assert [(d.name, d.version) for d in (first, second, other)] == [
        ("d → y · lgbm", 1),  # named after its experiment, not only "lgbm"
        ("d → y · lgbm", 2),
        ("champion", 1),
    ]
    assert first.status is DeploymentStatus.ACTIVE
    inactive = store.set_deployment_status(first.id, DeploymentStatus.INACTIVE)
    assert store.get_deployment(first.id) == inactive
    assert {d.id for d in store.list_deployments(model_id=model_id)} == {
        first.id,
        second.id,
        other.id,
    }
    with pytest.raises(NotFoundError, match="model 'x'"):
        store.create_deployment("x")


def test_deleting_a_deployed_model_is_refused_or_cascades(store: MetadataStore) -> None:
    model_id = _model(store)
    deployment = store.create_deployment(model_id)
    store.add_prediction(deployment.id, inputs=[{"a": 1}], outputs={"p": [0]}, latency_ms=1.0)
    with pytest.raises(ConflictError, match=f"deployed \\({deployment.id}\\)"):
        store.delete_model(model_id)
    assert store.get_deployment(deployment.id) == deployment
    assert store.delete_model(model_id, cascade=True) == [deployment.id]
    with pytest.raises(NotFoundError):
        store.get_deployment(deployment.id)
    with pytest.raises(NotFoundError):
        store.get_model(model_id)


def test_predictions_are_paged_newest_first(store: MetadataStore) -> None:
    deployment = store.create_deployment(_model(store))
    made = [
        store.add_prediction(
            deployment.id,
            inputs=[{"x": i}],
            outputs={"predictions": [i]},
            latency_ms=0.5,
            explanation={"x": 0.1} if i == 0 else None,
        )
        for i in range(5)
    ]
    page = store.list_predictions(deployment.id, limit=2)
    assert [p.inputs for p in page] == [[{"x": 4}], [{"x": 3}]]
    rest = store.list_predictions(deployment.id, limit=10, before_id=page[-1].id)
    assert [p.id for p in rest] == [m.id for m in reversed(made[:3])]
    assert rest[-1].explanation == {"x": 0.1}
    store.delete_deployment(deployment.id)
    with pytest.raises(NotFoundError, match="deployment"):
        store.list_predictions(deployment.id)


def test_default_deployment_names_follow_the_experiment_with_versions_per_name(
    store: MetadataStore,
) -> None:
    dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=1, sha256="s")
    churn = store.create_experiment(dataset_id=dataset.id, target="y", name="churn")
    fraud = store.create_experiment(dataset_id=dataset.id, target="y", name="fraud")
    names = []
    for experiment, name in ((churn, "ensemble"), (fraud, "ensemble"), (churn, "ensemble")):
        model = store.add_model(name=name, uri="m", experiment_id=experiment.id)
        deployment = store.create_deployment(model.id)
        names.append((deployment.name, deployment.version))
    trial_model = store.add_model(
        name="churn · run 1 · trial 3 (ridge)", uri="m", experiment_id=churn.id
    )
    names.append((store.create_deployment(trial_model.id).name, 1))
    loose = store.add_model(name="uploaded", uri="m")
    names.append((store.create_deployment(loose.id).name, 1))
    assert names == [
        ("churn · ensemble", 1),
        ("fraud · ensemble", 1),  # its own counter, not version 2 of every "ensemble"
        ("churn · ensemble", 2),
        ("churn · run 1 · trial 3 (ridge)", 1),
        ("uploaded", 1),
    ]


def test_latency_quantile_covers_only_its_window(store: MetadataStore) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from tunelab.jobs._monitor_job import check_rule
    from tunelab.tracking._orm import PredictionRow, utcnow

    deployment = store.create_deployment(_model(store))
    for _ in range(30):  # slow, but two days old
        store.add_prediction(deployment.id, inputs=[{}], outputs={}, latency_ms=1000.0)
    with store._write() as s:
        s.execute(update(PredictionRow).values(created_at=utcnow() - timedelta(days=2)))
    for ms in range(1, 101):
        store.add_prediction(deployment.id, inputs=[{}], outputs={}, latency_ms=float(ms))
    now = utcnow() + timedelta(seconds=1)
    assert store.latency_quantile(deployment.id, now - timedelta(hours=24), now) == (96.0, 100)
    assert store.latency_quantile(deployment.id) == (1000.0, 130)
    assert store.latency_quantile(deployment.id, end=now - timedelta(days=3)) == (None, 0)
    rule = {"deployment_id": deployment.id, "kind": "latency_p95", "params": {"value": 200}}
    assert check_rule(store, None, rule, now) is None  # the old slow rows are outside 24 h
    rule["params"] = {"value": 200, "window_hours": 72}
    found = check_rule(store, None, rule, now)
    assert found is not None
    assert found[1] == {"latency_p95_ms": 1000.0, "predictions": 130}
