"""Experiment settings -> tunelab.AutoML: validation, mapping, old stored JSON, real runs."""

import io
import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tunelab.automl
from tunelab.artifacts import ArtifactStore
from tunelab.automl import check_settings
from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    Encoding,
    FeatureEngineering,
    Imputation,
    PreprocessingDefaults,
    PreprocessingSettings,
    SamplingConfig,
    Scaling,
    SettingsError,
    SplitKind,
)
from tunelab.entities.artifact_keys import splits_prefix
from tunelab.entities.platform import Experiment, ExperimentStatus, JobStatus
from tunelab.jobs import Worker
from tunelab.jobs._automl_settings import experiment_settings, preprocessing_for
from tunelab.tracking import MetadataStore

N_ROWS = 150


def _dataset(store: MetadataStore, artifacts: ArtifactStore) -> str:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=N_ROWS).round(3),
            "z": rng.normal(size=N_ROWS).round(3),
            "region": rng.integers(0, 10, N_ROWS),
        }
    )
    frame["label"] = np.where(frame["x"] + 0.3 * frame["z"] > 0.4, "yes", "no")
    frame.loc[[5, 17], "label"] = None  # rows without a target are not part of any split
    info = artifacts.put_bytes("datasets/d/table.csv", frame.to_csv(index=False).encode())
    return store.add_dataset(
        name="table.csv", source="upload", uri=info.key, size_bytes=info.size, sha256=info.sha256
    ).id


def _run(store: MetadataStore, worker: Worker, dataset_id: str, settings: dict) -> str:
    experiment = store.create_experiment(dataset_id=dataset_id, target="label", settings=settings)
    store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    job = store.enqueue_job("automl", {"experiment_id": experiment.id})
    store.update_experiment(experiment.id, job_id=job.id)
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.SUCCEEDED, done.error
    return experiment.id


class _Spy(tunelab.automl.AutoML):
    seen: dict[str, Any] = {}
    last: Any = None

    def __init__(self, **kwargs: Any) -> None:
        _Spy.seen = kwargs
        _Spy.last = self
        super().__init__(**kwargs)


# -- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"split": {"kind": "holdout", "ratios": [0.7, 0.2, 0.2]}}, "split.ratios"),
        ({"split": {"kind": "holdout", "ratios": [0.0, 0.5, 0.5]}}, "split.ratios"),
        ({"split": {"kind": "cv", "folds": 1}}, "split.folds"),
        ({"split": {"kind": "bogus"}}, "split.kind"),
        ({"split": {"kind": "group"}}, "split.column"),
        ({"split": {"kind": "cv", "column": "nope"}}, "split.column"),
        (
            {"split": {"kind": "cv", "column": "x", "column_ranges": [[0, 1]] * 3}},
            "split.column_ranges",
        ),
        ({"split": {"kind": "cv", "fold": 3}}, "split.fold"),
        ({"algorithms": ["lightgbm", "no_such_model"]}, "algorithms"),
        ({"algorithms": ["logistic_regression"]}, "algorithms"),  # not for regression
        ({"ensemble": "bagging"}, "ensemble"),
        ({"time_budget": -5}, "time_budget"),
        ({"time_budget": None}, "time_budget"),
        ({"trial_timeout": 0}, "trial_timeout"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"seed": 1.5}, "seed"),
        ({"cpu_per_trial": 65}, "cpu_per_trial"),
        ({"gpu_per_trial": 9}, "gpu_per_trial"),
        ({"executor": {"kind": "slurm"}}, "executor.kind"),
        ({"log_level": "loud"}, "log_level"),
        ({"sampling": {"ratio": 1.5}}, "sampling.ratio"),
        ({"sampling": {"balance_to": "no"}}, "sampling.balance_to"),  # regression task
        ({"preprocessing": {"scaling": "zscore"}}, "preprocessing.scaling"),
        (
            {"preprocessing": {"feature_engineering": ["pca", "magic"]}},
            "preprocessing.feature_engineering",
        ),
        ({"preprocessing": {"variance_threshold": -1}}, "preprocessing.variance_threshold"),
        ({"surprise": 1}, "surprise"),
        ({"infer_limit": 0}, "infer_limit"),
        ({"infer_limit": "fast"}, "infer_limit"),
        ({"refit_final": "yes"}, "refit_final"),
    ],
)
def test_bad_settings_name_the_field(settings: dict, field: str) -> None:
    with pytest.raises(SettingsError) as info:
        check_settings(settings, task="regression", columns=["x", "z", "label"])
    assert info.value.field == field


def test_every_bad_field_is_listed() -> None:
    with pytest.raises(SettingsError) as info:
        check_settings({"n_jobs": 0, "sampler": "x", "split": {"folds": 1}}, task="binary")
    assert [field for field, _ in info.value.errors] == ["sampler", "n_jobs", "split.folds"]


def test_balance_to_must_be_a_class_of_the_target() -> None:
    check_settings({"sampling": {"balance_to": "yes"}}, task="binary", classes=["no", "yes"])
    check_settings({"sampling": {"balance_to": "minority"}}, task="binary", classes=["a", "b"])
    with pytest.raises(SettingsError, match="'maybe' is not a value"):
        check_settings({"sampling": {"balance_to": "maybe"}}, task="binary", classes=["no", "yes"])


def _stored(settings: dict[str, Any], **fields: Any) -> Experiment:
    return Experiment(
        id="e",
        dataset_id="d",
        name="e",
        target=fields.get("target", "label"),
        task=fields.get("task"),
        metric=fields.get("metric"),
        status=ExperimentStatus.READY,
        settings=settings,
        version=1,
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )


def test_every_setting_maps_to_an_engine_argument() -> None:
    settings = {
        "description": "notes",
        "time_budget": 30,
        "trial_timeout": 5,
        "max_trials": 7,
        "algorithms": ["lightgbm", "random_forest"],
        "ensemble": "stacking",
        "sampler": "random",
        "seed": 11,
        "n_jobs": 2,
        "early_stopping_rounds": 4,
        "memory_limit_mb": 512,
        "infer_limit": 0.00002,
        "refit_final": False,
        "cpu_per_trial": 2,
        "gpu_per_trial": 0.5,
        "executor": {"kind": "ray", "address": "10.0.0.5:6379"},
        "log_level": "debug",
        "split": {"kind": "holdout", "ratios": [0.5, 0.3, 0.2], "shuffle": False},
        "sampling": {"ratio": 0.5, "balance_to": "minority", "smote": True},
    }
    loaded = experiment_settings(_stored(settings, task="binary", metric="roc_auc"))
    engine = tunelab.automl.AutoML.from_settings(loaded)
    assert (engine.task, engine.metric) == ("binary", "roc_auc")
    assert (engine.time_budget, engine.trial_timeout, engine.memory_limit_mb) == (30, 5, 512)
    assert (engine.infer_limit, engine.refit_final) == (0.00002, False)
    assert (engine.max_trials, engine.early_stopping_rounds, engine.seed) == (7, 4, 11)
    assert (engine.n_jobs, engine.sampler, engine.ensemble) == (2, "random", "stacking")
    assert (engine.cpu_per_trial, engine.gpu_per_trial) == (2, 0.5)
    assert engine.algorithms == ["lightgbm", "random_forest"]
    assert engine.sampling == SamplingConfig(ratio=0.5, balance_to="minority", smote=True)
    split = engine.split
    assert (split.kind, split.ratios, split.shuffle) == (SplitKind.HOLDOUT, (0.5, 0.3, 0.2), False)
    assert engine.to_settings().model_dump() == loaded.model_dump()  # a round trip
    assert loaded.stored() == {**settings, "algorithms": ["lightgbm", "random_forest"]}


def test_split_and_legacy_forms() -> None:
    def load(settings: dict[str, Any]) -> Any:
        return experiment_settings(_stored(settings))

    cv = load({"split": {"kind": "cv", "folds": 10, "test_ratio": 0.1}}).split_config
    assert (cv.kind, cv.folds, cv.test_ratio) == (SplitKind.CV, 10, 0.1)
    ranges = {"kind": "holdout", "column": "x", "column_ranges": [[0, 5], [5, 8], [8, 10]]}
    assert load({"split": ranges}).split_config.column_ranges == (
        (0.0, 5.0),
        (5.0, 8.0),
        (8.0, 10.0),
    )


# JSON as older tunelab versions stored it (same keys; a few looser values)
OLD_STORED = [
    ({"ensemble": False}, {"ensemble": "none"}),
    ({"ensemble": True}, {"ensemble": "greedy"}),
    ({"algorithms": []}, {"algorithms": None}),
    ({"sampler": None, "seed": None, "n_jobs": None}, {"sampler": "tpe", "seed": 0, "n_jobs": 1}),
    ({"time_budget": None, "max_trials": 4}, {"time_budget": None, "max_trials": 4}),
    ({"split": None, "sampling": None, "test_ratio": None}, {"split": None, "sampling": None}),
    ({"sampling": {"balance_to": 1, "ratio": None}}, {"sampling": {"balance_to": "1"}}),
    (
        {"split": {"kind": "cv", "folds": None, "test_ratio": 0.1}},
        {"split": {"folds": 5, "test_ratio": 0.1}},
    ),
    ({"description": "old run", "log_level": "debug"}, {"log_level": "debug"}),
]


@pytest.mark.parametrize(("stored", "expected"), OLD_STORED)
def test_old_stored_json_still_loads(stored: dict[str, Any], expected: dict[str, Any]) -> None:
    loaded = experiment_settings(_stored(stored, task="binary"))
    dumped = loaded.model_dump(mode="json")
    for key, value in expected.items():
        if isinstance(value, dict):
            assert {k: dumped[key][k] for k in value} == value
        else:
            assert dumped[key] == value
    assert dumped["task"] == "binary"


def test_preprocessing_options_and_column_overrides() -> None:
    base = PreprocessingSettings(
        columns={
            "x": ColumnSettings(kind=ColumnKind.NUMERIC),
            "c": ColumnSettings(kind=ColumnKind.CATEGORICAL),
        }
    )
    options = PreprocessingDefaults(
        encoding=Encoding.ONEHOT,
        scaling=Scaling.ROBUST,
        variance_threshold=0.01,
        feature_engineering=(FeatureEngineering.SELECT_KBEST, FeatureEngineering.PCA),
    )
    columns = {"x": {"imputation": "median", "note": "ignored"}, "c": {"use": False}, "gone": {}}
    out = preprocessing_for(base, options, columns)
    assert (out.encoding, out.scaling, out.variance_threshold) == (
        Encoding.ONEHOT,
        Scaling.ROBUST,
        0.01,
    )
    assert out.feature_engineering == (FeatureEngineering.SELECT_KBEST, FeatureEngineering.PCA)
    assert out.columns["x"].imputation is Imputation.MEDIAN
    assert out.feature_columns == ["x"]


# -- real runs ------------------------------------------------------------------------------
def test_holdout_run_uses_every_setting_and_saves_its_parts(
    store: MetadataStore,
    artifacts: ArtifactStore,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tunelab.automl, "AutoML", _Spy)
    dataset_id = _dataset(store, artifacts)
    dictionary = {
        "region": {"use": False, "description": "sales region code"},
        "x": {"description": "first signal", "meaning": "standardised"},
        "label": {"meaning": "yes = bought"},
    }
    store.update_dataset(dataset_id, column_settings=dictionary)
    settings = {
        "max_trials": 3,
        "time_budget": 60,
        "trial_timeout": 30,
        "algorithms": ["logistic_regression", "decision_tree"],
        "ensemble": "none",
        "seed": 5,
        "log_level": "debug",
        "split": {"kind": "holdout", "ratios": [0.6, 0.2, 0.2]},
        "sampling": {"balance_to": "yes"},
        "preprocessing": {"scaling": "minmax", "variance_threshold": 0.0},
    }
    experiment_id = _run(store, worker, dataset_id, settings)
    seen = _Spy.seen
    assert (seen["seed"], seen["ensemble"], seen["max_trials"]) == (5, "none", 3)
    assert seen["split"].ratios == (0.6, 0.2, 0.2)
    assert seen["sampling"] == SamplingConfig(balance_to="1")  # "yes" is class index 1
    prep = _Spy.last.settings_  # the preprocessing the engine fitted with
    assert (prep.scaling, prep.variance_threshold) == (Scaling.MINMAX, 0.0)
    assert "region" not in prep.feature_columns
    assert "x" in prep.feature_columns

    prefix = splits_prefix(experiment_id, run=1)  # the first run's split
    parts = {
        p: pd.read_csv(io.BytesIO(artifacts.read_bytes(f"{prefix}/{p}.csv")))
        for p in ("train", "valid", "test")
    }
    sizes = {p: len(f) for p, f in parts.items()}
    assert sum(sizes.values()) == N_ROWS - 2
    assert sizes["test"] == round(0.2 * (N_ROWS - 2))
    rows = np.concatenate([f["_row"].to_numpy() for f in parts.values()])
    assert len(set(rows)) == len(rows)
    assert not {5, 17} & set(rows)
    table = pd.read_csv(io.BytesIO(artifacts.read_bytes("datasets/d/table.csv")))
    test = parts["test"]
    assert (table.loc[test["_row"], "x"].to_numpy() == test["x"].to_numpy()).all()

    job_id = store.get_experiment(experiment_id).job_id
    events = store.list_job_events(job_id)
    kinds = [e.kind for e in events]
    assert kinds.count("trial_start") == kinds.count("trial_end") == 3
    start = next(e.data for e in events if e.kind == "trial_start")
    assert {"number", "family", "params", "timeout", "slot", "started_at", "started_ts"} <= set(
        start
    )
    assert start["slot"] == 0
    assert start["timeout"] <= 30
    end = next(e.data for e in events if e.kind == "trial_end")
    assert {"score", "fit_time", "status", "params", "ended_at"} <= set(end)
    run_start = next(e.data for e in events if e.kind == "run_start")
    assert (run_start["n_jobs"], run_start["threads_per_trial"]) == (1, 1)
    assert any(e.kind == "log" and e.data["level"] == "debug" for e in events)
    splits = next(e.data for e in events if e.kind == "splits")
    assert splits["parts"]["test"]["rows"] == sizes["test"]
    assert "experiment_finished" in kinds

    # the data dictionary travels into the model's bundle (input columns and target only)
    model = store.get_model(str(store.get_experiment(experiment_id).best_model_id))
    manifest = json.loads(artifacts.read_bytes(f"{model.uri}/manifest.json"))
    assert manifest["data_dictionary"] == {
        "x": {"description": "first signal", "meaning": "standardised"},
        "label": {"meaning": "yes = bought"},
    }


def test_cv_run_marks_the_fold_of_every_training_row(
    store: MetadataStore, artifacts: ArtifactStore, worker: Worker
) -> None:
    dataset_id = _dataset(store, artifacts)
    settings = {
        "max_trials": 1,
        "time_budget": 60,
        "algorithms": ["logistic_regression"],
        "ensemble": "none",
        "log_level": "error",
        "split": {"kind": "cv", "folds": 3, "test_ratio": 0.1},
    }
    experiment_id = _run(store, worker, dataset_id, settings)
    prefix = splits_prefix(experiment_id, run=1)  # the first run's split
    train = pd.read_csv(io.BytesIO(artifacts.read_bytes(f"{prefix}/train.csv")))
    assert sorted(train["_fold"].unique()) == [0, 1, 2]
    assert not artifacts.exists(f"{prefix}/valid.csv")
    test = pd.read_csv(io.BytesIO(artifacts.read_bytes(f"{prefix}/test.csv")))
    assert len(train) + len(test) == N_ROWS - 2
    events = store.list_job_events(store.get_experiment(experiment_id).job_id)
    assert not any(e.kind == "log" for e in events)  # nothing at level "error"


def test_missing_target_fails_with_a_clear_message(
    store: MetadataStore, artifacts: ArtifactStore, worker: Worker
) -> None:
    dataset_id = _dataset(store, artifacts)
    experiment = store.create_experiment(dataset_id=dataset_id, target="")
    store.transition_experiment(
        experiment.id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    store.enqueue_job("automl", {"experiment_id": experiment.id})
    failed = worker.run_once()
    assert failed is not None
    assert failed.status is JobStatus.FAILED
    assert "set one first" in store.get_experiment(experiment.id).error
