"""``tunelab serve --sample``: a first start on an empty store adds a ready sample experiment."""

from pathlib import Path

from typer.testing import CliRunner

from tunelab.cli._app import build_app
from tunelab.cli.platform_cmd import seed_sample
from tunelab.entities.platform import ExperimentStatus
from tunelab.server import ServerSettings
from tunelab.tracking import MetadataStore


def test_seed_sample_only_on_an_empty_store(tmp_path: Path) -> None:
    settings = ServerSettings(home=tmp_path / "home")
    experiment_id = seed_sample(settings)
    assert experiment_id is not None
    with MetadataStore(settings.database_url) as store:
        experiment = store.get_experiment(experiment_id)
        assert experiment.status is ExperimentStatus.READY
        assert experiment.target == "class"
        dataset = store.get_dataset(experiment.dataset_id)
        assert dataset.source == "sample:credit-g"
        assert dataset.size_bytes > 10_000
        jobs = store.list_jobs(kind="parse_profile")
        assert [j.payload["dataset_id"] for j in jobs] == [dataset.id]

    assert seed_sample(settings) is None  # never twice, never into a used store
    with MetadataStore(settings.database_url) as store:
        assert len(store.list_experiments()) == 1
        assert len(store.list_datasets()) == 1


def test_serve_has_the_sample_switch() -> None:
    result = CliRunner().invoke(build_app(), ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--no-sample" in result.output
