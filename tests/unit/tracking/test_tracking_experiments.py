"""Datasets, experiments (optimistic locking, transitions) and the leaderboard."""

import threading

import pytest

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.entities.platform import (
    ConflictError,
    Dataset,
    ExperimentStatus,
    NotFoundError,
)
from tunelab.tracking import MetadataStore


def _dataset(store: MetadataStore) -> Dataset:
    return store.add_dataset(
        name="iris.csv", source="upload", uri="datasets/x/iris.csv", size_bytes=10, sha256="ab"
    )


def test_dataset_round_trip_and_update(store: MetadataStore) -> None:
    dataset = _dataset(store)
    assert store.get_dataset(dataset.id) == dataset
    assert dataset.created_at.tzinfo is not None
    updated = store.update_dataset(dataset.id, n_rows=150, profile={"n_rows": 150})
    assert (updated.n_rows, updated.profile) == (150, {"n_rows": 150})
    assert [d.id for d in store.list_datasets()] == [dataset.id]
    with pytest.raises(TypeError, match="sha256"):
        store.update_dataset(dataset.id, sha256="zz")


def test_unknown_ids_raise_not_found_naming_the_id(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="dataset 'nope'"):
        store.get_dataset("nope")
    with pytest.raises(NotFoundError, match="experiment 'nope'"):
        store.get_experiment("nope")
    with pytest.raises(NotFoundError, match="dataset 'nope'"):
        store.create_experiment(dataset_id="nope", target="y")
    with pytest.raises(NotFoundError, match="experiment 'nope'"):
        store.update_experiment("nope", name="x")
    with pytest.raises(NotFoundError, match="experiment 'nope'"):
        store.list_trials("nope")


def test_experiment_defaults_and_listing(store: MetadataStore) -> None:
    dataset = _dataset(store)
    first = store.create_experiment(dataset_id=dataset.id, target="species", metric="f1")
    second = store.create_experiment(dataset_id=dataset.id, target="species", name="two")
    assert first.status is ExperimentStatus.READY
    assert (first.version, first.metric, first.settings) == (1, "f1", {})
    assert first.name == "iris.csv → species"
    assert [e.id for e in store.list_experiments()] == [second.id, first.id]
    assert [e.id for e in store.list_experiments(limit=1, offset=1)] == [first.id]
    store.transition_experiment(
        first.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    assert [e.id for e in store.list_experiments(status="running")] == [first.id]
    assert store.count_experiments(status=ExperimentStatus.READY) == 1


def test_stale_version_is_a_conflict(store: MetadataStore) -> None:
    experiment = store.create_experiment(dataset_id=_dataset(store).id, target="y")
    changed = store.update_experiment(
        experiment.id, expected_version=1, settings_patch={"time_budget": 30}
    )
    assert (changed.version, changed.settings) == (2, {"time_budget": 30})
    with pytest.raises(ConflictError, match="version 2, not 1"):
        store.update_experiment(experiment.id, expected_version=1, settings_patch={"a": 1})
    assert store.get_experiment(experiment.id).settings == {"time_budget": 30}


def test_concurrent_patches_lose_no_update(db_url: str) -> None:
    with MetadataStore(db_url) as store:
        experiment = store.create_experiment(dataset_id=_dataset(store).id, target="y")
    n_threads, n_patches = 4, 8
    errors: list[BaseException] = []

    def patch(worker: int) -> None:
        try:
            with MetadataStore(db_url, migrate=False) as own:
                for i in range(n_patches):
                    own.update_experiment(experiment.id, settings_patch={f"w{worker}_{i}": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=patch, args=(w,)) for w in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with MetadataStore(db_url, migrate=False) as store:
        final = store.get_experiment(experiment.id)
    assert len(final.settings) == n_threads * n_patches
    assert final.version == 1 + n_threads * n_patches


def test_starting_twice_is_a_conflict(store: MetadataStore) -> None:
    experiment = store.create_experiment(dataset_id=_dataset(store).id, target="y")
    startable = [ExperimentStatus.READY, ExperimentStatus.STOPPED, ExperimentStatus.FAILED]
    running = store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=startable, job_id="j1"
    )
    assert (running.status, running.job_id, running.version) == ("running", "j1", 2)
    with pytest.raises(ConflictError, match="is running; cannot become running"):
        store.transition_experiment(
            experiment.id, to=ExperimentStatus.RUNNING, allowed_from=startable
        )
    with pytest.raises(ConflictError, match="stop it first"):
        store.delete_experiment(experiment.id)


def test_deleting_a_used_dataset_is_refused(store: MetadataStore) -> None:
    dataset = _dataset(store)
    experiment = store.create_experiment(dataset_id=dataset.id, target="y")
    with pytest.raises(ConflictError, match="used by 1 experiment"):
        store.delete_dataset(dataset.id)
    store.delete_experiment(experiment.id)
    store.delete_dataset(dataset.id)
    with pytest.raises(NotFoundError):
        store.get_dataset(dataset.id)


def _record(number: int, score: float | None, status: TrialStatus = TrialStatus.OK) -> TrialRecord:
    return TrialRecord(
        number=number, family="lightgbm", params={"n": number}, status=status, score=score
    )


def test_leaderboard_orders_by_score_and_upserts(store: MetadataStore) -> None:
    experiment = store.create_experiment(dataset_id=_dataset(store).id, target="y")
    store.record_trial(experiment.id, _record(0, 0.7))
    store.record_trial(experiment.id, _record(1, None, TrialStatus.FAILED))
    store.record_trial(experiment.id, _record(2, 0.9))
    store.record_trial(experiment.id, _record(0, 0.8))  # the resumed run reports it again
    best_first = store.list_trials(experiment.id)
    assert [(t.number, t.score) for t in best_first] == [(2, 0.9), (0, 0.8), (1, None)]
    lowest_first = store.list_trials(experiment.id, greater_is_better=False)
    assert [t.number for t in lowest_first] == [0, 2, 1]
    assert [t.number for t in store.list_trials(experiment.id, limit=1, offset=1)] == [0]


def test_trial_params_are_stored_as_plain_json(store: MetadataStore) -> None:
    np = pytest.importorskip("numpy")
    experiment = store.create_experiment(dataset_id=_dataset(store).id, target="y")
    record = TrialRecord(
        number=0,
        family="xgboost",
        params={"depth": np.int64(3), "lr": np.float32(0.5), "layers": (8, 4)},
        status=TrialStatus.OK,
        score=0.5,
    )
    trial = store.record_trial(experiment.id, record)
    assert store.list_trials(experiment.id)[0].params == {"depth": 3, "lr": 0.5, "layers": [8, 4]}
    assert trial.status == "ok"


def test_trial_summaries_and_dataset_names_for_a_list_in_one_query_each(
    store: MetadataStore,
) -> None:
    dataset = _dataset(store)
    first = store.create_experiment(dataset_id=dataset.id, target="y")
    second = store.create_experiment(dataset_id=dataset.id, target="y")
    empty = store.create_experiment(dataset_id=dataset.id, target="y")
    for number, score in enumerate([0.5, 0.9, None]):
        store.record_trial(first.id, _record(number, score))
    store.record_trial(second.id, _record(0, None, TrialStatus.FAILED))
    summaries = store.trial_summaries([first.id, second.id, empty.id, first.id])
    assert summaries[first.id] == (3, 0.9, 0.5)
    assert summaries[second.id] == (1, None, None)
    assert empty.id not in summaries
    assert store.trial_summaries([]) == {}
    assert store.dataset_names([dataset.id, "missing"]) == {dataset.id: dataset.name}


def test_leaderboard_rows_match_list_trials_in_order_and_content(store: MetadataStore) -> None:
    experiment = store.create_experiment(dataset_id=_dataset(store).id, target="y")
    for number, score in enumerate([0.7, None, 0.9, 0.8]):
        store.record_trial(experiment.id, _record(number, score))
    for greater in (True, False):
        trials = store.list_trials(experiment.id, greater_is_better=greater, limit=3, offset=1)
        rows = store.leaderboard_rows(experiment.id, greater_is_better=greater, limit=3, offset=1)
        assert [r["number"] for r in rows] == [t.number for t in trials]
        for row, trial in zip(rows, trials, strict=True):
            assert row == {
                "number": trial.number,
                "family": trial.family,
                "params": trial.params,
                "status": trial.status,
                "score": trial.score,
                "score_std": trial.score_std,
                "fit_time": trial.fit_time,
                "predict_time": trial.predict_time,
                "source": trial.source,
                "reason": trial.reason,
                "host": trial.host,
                "node_id": trial.node_id,
            }
    with pytest.raises(NotFoundError):
        store.leaderboard_rows("missing")
