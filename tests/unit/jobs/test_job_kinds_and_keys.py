"""Job kinds and artifact keys are named once, and keep the names stored data already uses."""

from pathlib import Path

from tunelab.entities import artifact_keys as keys
from tunelab.entities.platform import JobKind
from tunelab.jobs import JOB_KINDS, default_handlers
from tunelab.tracking import MetadataStore


def test_every_job_kind_has_a_handler_and_nothing_else_does() -> None:
    assert set(default_handlers()) == set(JobKind)
    assert tuple(kind.value for kind in JobKind) == JOB_KINDS


def test_a_job_enqueued_by_kind_is_stored_and_found_by_its_plain_name(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'meta.db'}")
    store.enqueue_job(JobKind.EDA, {"dataset_id": "d1"})
    (job,) = store.list_jobs(kind="eda")
    assert job.kind == "eda"
    assert type(job.kind) is str
    assert [j.id for j in store.list_jobs(kind=JobKind.EDA)] == [job.id]


def test_artifact_keys_keep_the_layout_of_existing_stores() -> None:
    # stores written before the keys were named in one place must still be read
    assert keys.dataset_file_key("d1", "t.csv") == "datasets/d1/t.csv"
    assert keys.eda_manifest_key("d1") == "datasets/d1/eda/manifest.json"
    assert keys.eda_plot_key("d1", "correlation") == "datasets/d1/eda/correlation.json"
    assert keys.eda_variable_key("d1", 3) == "datasets/d1/eda/variables/00003.json"
    assert keys.class_counts_key("d1", "ab") == "datasets/d1/class_counts/ab.json"
    assert keys.splits_summary_key("e1") == "experiments/e1/splits/summary.json"
    assert keys.split_part_key("e1", "test") == "experiments/e1/splits/test.csv"
    assert keys.model_prefix("m1") == "models/m1"
    assert keys.evaluation_key("m1") == "evaluations/m1/evaluation.json"
    assert keys.evaluation_key("m1", "d2") == "evaluations/m1/datasets/d2/evaluation.json"
    assert keys.evaluation_plot_key("m1", None, "roc") == "evaluations/m1/plots/roc.json"
    assert keys.pipeline_key("m1") == "evaluations/m1/pipeline.json"
    assert keys.predictions_key("j1") == "predictions/j1.csv"
    assert keys.upload_prefix("u1") == "uploads/u1"


def test_every_key_of_a_dataset_lies_in_its_folder() -> None:
    folder = keys.dataset_prefix("d1") + "/"
    inside = [
        keys.dataset_file_key("d1", "t.csv"),
        keys.eda_manifest_key("d1"),
        keys.eda_plot_key("d1", "pairplot"),
        keys.eda_variable_key("d1", 0),
        keys.class_counts_key("d1", "x"),
    ]
    assert all(key.startswith(folder) for key in inside)
