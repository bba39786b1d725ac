"""The seeding of the page benchmark (benchmarks/pages_seed.py) at a small scale, so the
benchmark cannot rot: what it writes must read back through the store as real entities."""

from pathlib import Path

import pytest
from benchmarks.pages_seed import (
    FAMILIES,
    PagesSeed,
    _spaces,
    grow_for_lists,
    insert_trials,
    seed_pages,
    store_url,
    trial_records,
)

from tunelab.entities.platform import ExperimentStatus
from tunelab.entities.trials import TrialStatus
from tunelab.tracking import MetadataStore


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PagesSeed]:
    home = tmp_path_factory.mktemp("pages") / "home"
    seed = seed_pages(
        home,
        n_experiments=7,
        n_trials=50,
        other_trials=6,
        train_budget=1.0,
        evaluate=False,
        eda=False,
        n_predictions=2,
    )
    return home, seed


def test_trial_records_are_drawn_from_the_real_search_spaces() -> None:
    records = trial_records(200, start=10, seed=3)
    spaces = _spaces("binary")
    assert [r.number for r in records] == list(range(10, 210))
    assert {r.family for r in records} == set(FAMILIES) & set(spaces)
    for r in records:
        flavor, space = spaces[r.family]
        assert set(r.params) == set(space)
        assert r.preprocessing == {"flavor": flavor}
        assert (r.score is not None) == (r.status is TrialStatus.OK)
        assert (r.reason == "") == (r.status is TrialStatus.OK)
        assert r.fit_time > 0
        assert r.predict_time > 0
    assert {r.status for r in records} >= {TrialStatus.OK, TrialStatus.FAILED}
    assert trial_records(20, seed=3) == trial_records(20, seed=3)


def test_seeded_store_holds_the_featured_run_and_others(
    seeded: tuple[Path, PagesSeed],
) -> None:
    home, seed = seeded
    with MetadataStore(store_url(home)) as store:
        assert store.count_experiments() == 7
        assert set(seed.experiment_ids) == {e.id for e in store.list_experiments(limit=10)}
        featured = store.get_experiment(seed.featured_id)
        assert featured.status is ExperimentStatus.FINISHED
        assert featured.best_model_id == seed.model_id
        assert store.count_trials(featured.id) == 50
        board = store.list_trials(featured.id)
        scores = [t.score for t in board if t.score is not None]
        assert scores == sorted(scores, reverse=True)
        ends = [e for e in store.list_job_events(seed.featured_job_id) if e.kind == "trial_end"]
        assert {e.data["number"] for e in ends} == set(range(50))
        statuses = {store.get_experiment(i).status for i in seed.experiment_ids[1:]}
        assert statuses == set(ExperimentStatus)  # ready, running, finished, stopped, failed
        for experiment_id in seed.experiment_ids[1:]:
            experiment = store.get_experiment(experiment_id)
            trials = store.count_trials(experiment_id)
            idle = (ExperimentStatus.READY, ExperimentStatus.RUNNING)
            has_trials = experiment.status not in idle
            assert trials == (6 if has_trials else 0)
        for dataset_id in seed.dataset_ids.values():
            dataset = store.get_dataset(dataset_id)
            assert dataset.profile
            assert (dataset.n_rows or 0) > 100
        predictions = store.list_predictions(seed.deployment_id)
        assert len(predictions) == 2
        assert all(p.explanation and p.explanation["rows"] for p in predictions)
        assert store.get_deployment(seed.deployment_id).model_id == seed.model_id
    assert (home / "artifacts" / "models" / seed.model_id / "manifest.json").is_file()


def test_seeding_refuses_a_home_that_has_experiments(seeded: tuple[Path, PagesSeed]) -> None:
    with pytest.raises(RuntimeError, match="seed a fresh home"):
        seed_pages(seeded[0], n_experiments=1, n_trials=1)


def test_bulk_trials_read_back_as_record_trial_writes_them(tmp_path: Path) -> None:
    with MetadataStore(store_url(tmp_path)) as store:
        dataset = store.add_dataset(
            name="t.csv", source="upload", uri="t.csv", size_bytes=1, sha256="0" * 64
        )
        bulk = store.create_experiment(dataset_id=dataset.id, target="y")
        one = store.create_experiment(dataset_id=dataset.id, target="y")
        records = trial_records(30, seed=5)
        insert_trials(store, bulk.id, records)
        for record in records:
            store.record_trial(one.id, record)
        fields = "number family params status score score_std fit_time predict_time source reason"

        def view(experiment_id: str) -> list[tuple[object, ...]]:
            trials = store.list_trials(experiment_id)
            return [tuple(getattr(t, f) for f in fields.split()) for t in trials]

        assert view(bulk.id) == view(one.id)


def test_grow_for_lists_reaches_the_listing_sizes(tmp_path: Path) -> None:
    with MetadataStore(store_url(tmp_path)) as store:
        dataset = store.add_dataset(
            name="t.csv", source="upload", uri="t.csv", size_bytes=1, sha256="0" * 64
        )
    big = grow_for_lists(tmp_path, dataset.id, n_experiments=8, n_trials=40)
    with MetadataStore(store_url(tmp_path)) as store:
        assert store.count_experiments() == 8
        assert store.count_trials(big) == 40
        assert store.get_experiment(big).status is ExperimentStatus.FINISHED
        assert len(store.list_trials(big, limit=10_000)) == 40
