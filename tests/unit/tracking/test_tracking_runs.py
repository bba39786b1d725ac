"""Runs of an experiment: opened and closed with its status, trials kept per run, and the
0003 migration turning existing trials into run 1 (SQLite and PostgreSQL)."""

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.entities.platform import ExperimentStatus
from tunelab.tracking import MetadataStore, make_engine
from tunelab.tracking._engine import IMMEDIATE, MIGRATIONS

RUNNING, FINISHED, STOPPED = (
    ExperimentStatus.RUNNING,
    ExperimentStatus.FINISHED,
    ExperimentStatus.STOPPED,
)


def _record(number: int, score: float | None, host: str = "h1") -> TrialRecord:
    status = TrialStatus.OK if score is not None else TrialStatus.FAILED
    return TrialRecord(number, "lightgbm", {"n": number}, status, score=score, host=host)


def _experiment(store: MetadataStore) -> str:
    dataset = store.add_dataset(name="d", source="upload", uri="k", size_bytes=1, sha256="x")
    return store.create_experiment(dataset_id=dataset.id, target="y", settings={"seed": 1}).id


def test_each_start_opens_a_run_and_its_end_closes_it(store: MetadataStore) -> None:
    experiment_id = _experiment(store)
    assert store.list_runs(experiment_id) == []
    store.transition_experiment(experiment_id, to=RUNNING, allowed_from=[ExperimentStatus.READY])
    store.update_experiment(experiment_id, job_id="job1")
    for number, score in enumerate([0.5, 0.7, None]):
        store.record_trial(experiment_id, _record(number, score, host=f"h{number % 2}"))
    store.transition_experiment(
        experiment_id, to=FINISHED, allowed_from=[RUNNING], best_model_id="m1", metric="auc"
    )
    store.update_experiment(experiment_id, settings_patch={"seed": 2})
    store.transition_experiment(experiment_id, to=RUNNING, allowed_from=[FINISHED])
    store.record_trial(experiment_id, _record(0, 0.9))
    store.transition_experiment(experiment_id, to=STOPPED, allowed_from=[RUNNING])

    second, first = store.list_runs(experiment_id)
    assert (first.number, first.status, first.job_id, first.model_id) == (
        1,
        FINISHED,
        "job1",
        "m1",
    )
    assert (first.settings, first.metric) == ({"seed": 1}, "auc")
    assert (second.number, second.status, second.model_id) == (2, STOPPED, None)
    assert second.settings == {"seed": 2}
    assert first.finished_at is not None
    assert second.finished_at is not None
    assert store.get_run(experiment_id).number == 2
    # trial numbers repeat across runs without replacing each other
    assert [t.score for t in store.list_trials(experiment_id)] == [0.9]
    assert [t.score for t in store.list_trials(experiment_id, run=1)] == [0.7, 0.5, None]
    assert store.get_trial(experiment_id, 0, run=1).score == 0.5
    assert store.get_trial(experiment_id, 0).score == 0.9
    assert store.trial_summaries([experiment_id]) == {experiment_id: (1, 0.9, 0.9)}
    rows = store.leaderboard_rows(experiment_id, run=1)
    assert {r["host"] for r in rows} == {"h0", "h1"}


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_migration_0003_makes_existing_trials_run_1(db_url: str) -> None:
    engine = make_engine(db_url)
    config = _config()
    with engine.connect().execution_options(**{IMMEDIATE: True}) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.commit()
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO datasets (id, name, source, uri, size_bytes, sha256, column_settings,"
                " created_at) VALUES ('d1', 'd', 'upload', 'k', 1, 'x', '{}', :now)"
            ),
            {"now": now},
        )
        for eid, status, model in (("e1", "finished", "m1"), ("e2", "ready", None)):
            conn.execute(
                text(
                    "INSERT INTO experiments (id, dataset_id, name, target, task, metric, status,"
                    " settings, best_model_id, job_id, error, version, created_at, updated_at)"
                    " VALUES (:id, 'd1', 'n', 'y', 'binary', 'roc_auc', :status,"
                    " '{\"time_budget\": 30}', :model, NULL, '', 3, :now, :now)"
                ),
                {"id": eid, "status": status, "model": model, "now": now},
            )
        for number in range(3):
            conn.execute(
                text(
                    "INSERT INTO trials (id, experiment_id, number, family, params, status, score,"
                    " score_std, fit_time, predict_time, source, reason, created_at)"
                    " VALUES (:id, 'e1', :n, 'lightgbm', '{}', 'ok', :score, NULL, 1.0, 0.1,"
                    " 'search', '', :now)"
                ),
                {"id": f"t{number}", "n": number, "score": 0.5 + number / 10, "now": now},
            )
    engine.dispose()
    with MetadataStore(db_url) as store:  # opening migrates to head
        (run,) = store.list_runs("e1")
        assert (run.number, run.status, run.model_id, run.task) == (1, FINISHED, "m1", "binary")
        assert run.settings == {"time_budget": 30}
        assert store.list_runs("e2") == []  # never ran
        assert [t.run for t in store.list_trials("e1")] == [1, 1, 1]
        assert store.count_trials("e1") == 3
        assert {t.host for t in store.list_trials("e1")} == {""}  # not recorded back then
        store.transition_experiment("e1", to=RUNNING, allowed_from=[FINISHED])
        store.record_trial("e1", _record(0, 0.1))
        assert store.get_run("e1").number == 2
        assert store.count_trials("e1", run=1) == 3
