"""Experiment settings -> tunelab.AutoML: validation, mapping, and real small runs."""

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tunelab.automl
from tunelab.artifacts import ArtifactStore
from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    Encoding,
    FeatureEngineering,
    Imputation,
    PreprocessingSettings,
    SamplingConfig,
    Scaling,
    SplitKind,
)
from tunelab.entities.platform import ExperimentStatus, JobStatus
from tunelab.jobs import Worker
from tunelab.jobs._automl_settings import (
    SettingsError,
    automl_kwargs,
    check_settings,
    preprocessing_for,
)
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

    def __init__(self, **kwargs: Any) -> None:
        _Spy.seen = kwargs
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
        ({"cpu_per_trial": 4}, "cpu_per_trial"),
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


def test_the_sampler_list_is_the_engine_list() -> None:
    from tunelab.jobs._automl_settings import SAMPLERS
    from tunelab.search import SAMPLERS as ENGINE_SAMPLERS

    assert tuple(ENGINE_SAMPLERS) == SAMPLERS


def test_balance_to_must_be_a_class_of_the_target() -> None:
    check_settings({"sampling": {"balance_to": "yes"}}, task="binary", classes=["no", "yes"])
    check_settings({"sampling": {"balance_to": "minority"}}, task="binary", classes=["a", "b"])
    with pytest.raises(SettingsError, match="'maybe' is not a value"):
        check_settings({"sampling": {"balance_to": "maybe"}}, task="binary", classes=["no", "yes"])


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
        "cpu_per_trial": 1,
        "log_level": "debug",
        "split": {"kind": "holdout", "ratios": [0.5, 0.3, 0.2], "shuffle": False},
        "sampling": {"ratio": 0.5, "balance_to": "minority", "smote": True},
    }
    kwargs = automl_kwargs(settings, task="binary")
    assert kwargs == {
        "time_budget": 30.0,
        "trial_timeout": 5.0,
        "memory_limit_mb": 512.0,
        "infer_limit": 0.00002,
        "refit_final": False,
        "max_trials": 7,
        "early_stopping_rounds": 4,
        "seed": 11,
        "n_jobs": 2,
        "sampler": "random",
        "algorithms": ["lightgbm", "random_forest"],
        "ensemble": "stacking",
        "split": kwargs["split"],
        "sampling": SamplingConfig(ratio=0.5, balance_to="minority", smote=True),
    }
    split = kwargs["split"]
    assert (split.kind, split.ratios, split.shuffle) == (SplitKind.HOLDOUT, (0.5, 0.3, 0.2), False)
    cv = automl_kwargs({"split": {"kind": "cv", "folds": 10, "test_ratio": 0.1}})["split"]
    assert (cv.kind, cv.folds, cv.test_ratio) == (SplitKind.CV, 10, 0.1)
    ranges = {"kind": "holdout", "column": "x", "column_ranges": [[0, 5], [5, 8], [8, 10]]}
    by_range = automl_kwargs({"split": ranges})["split"]
    assert by_range.column_ranges == ((0.0, 5.0), (5.0, 8.0), (8.0, 10.0))
    assert automl_kwargs({"ensemble": False}) == {"ensemble": "none"}


def test_preprocessing_options_and_column_overrides() -> None:
    base = PreprocessingSettings(
        columns={
            "x": ColumnSettings(kind=ColumnKind.NUMERIC),
            "c": ColumnSettings(kind=ColumnKind.CATEGORICAL),
        }
    )
    settings = {
        "preprocessing": {
            "encoding": "onehot",
            "scaling": "robust",
            "variance_threshold": 0.01,
            "feature_engineering": ["select_kbest", "pca"],
        }
    }
    columns = {"x": {"imputation": "median", "note": "ignored"}, "c": {"use": False}, "gone": {}}
    out = preprocessing_for(base, settings, columns)
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
    store.update_dataset(dataset_id, column_settings={"region": {"use": False}})
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
    prep = seen["preprocessing"]
    assert (prep.scaling, prep.variance_threshold) == (Scaling.MINMAX, 0.0)
    assert "region" not in prep.feature_columns
    assert "x" in prep.feature_columns

    prefix = f"experiments/{experiment_id}/splits"
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
    prefix = f"experiments/{experiment_id}/splits"
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
