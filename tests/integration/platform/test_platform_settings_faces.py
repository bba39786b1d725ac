"""One settings object, three faces: REST (real server + worker), CLI and Python give the
same leaderboard (same trials, same scores) for a fixed seed and trial count."""

import json
from pathlib import Path
from typing import Any

from platform_helpers import Server
from typer.testing import CliRunner

from tunelab.automl import AutoML
from tunelab.cli._app import build_app
from tunelab.cli.automl_cmd import settings_from_options
from tunelab.client import Client
from tunelab.data import read_table
from tunelab.entities import ExperimentSettings

DATA = Path(__file__).parents[2] / "data" / "credit-g-300.csv"
TARGET = "class"
# a trial-count budget (the time budget is generous, it never cuts the search): with a seed
# the engine runs trials in synchronous batches, so the leaderboard does not depend on speed
SETTINGS: dict[str, Any] = {
    "time_budget": 900,
    "max_trials": 4,
    "seed": 3,
    "sampler": "random",
    "algorithms": ["logistic_regression", "decision_tree"],
    "split": {"kind": "cv", "folds": 3, "test_ratio": 0.2},
    "ensemble": "none",
}
CLI_OPTIONS = [
    "--time-budget", "900", "--max-trials", "4", "--seed", "3", "--sampler", "random",
    "--algorithms", "logistic_regression,decision_tree", "--cv", "3", "--test-ratio", "0.2",
    "--ensemble", "none",
]  # fmt: skip


def _row(number: int, family: str, status: str, score: Any, params: Any) -> tuple[Any, ...]:
    plain = json.loads(params) if isinstance(params, str) else params
    plain = json.loads(json.dumps(plain, sort_keys=True, default=str))
    return (int(number), family, status, None if score is None else float(score), plain)


def _python_board() -> list[tuple[Any, ...]]:
    settings = ExperimentSettings.model_validate({**SETTINGS, "target": TARGET})
    automl = AutoML.from_settings(settings).fit(read_table(DATA), target=TARGET)
    return sorted(
        _row(t.number, t.family, t.status.value, t.score, t.params) for t in automl.trials_
    )


def _cli_board(out: Path) -> list[tuple[Any, ...]]:
    args = ["automl", str(DATA), "--target", TARGET, "--out", str(out), *CLI_OPTIONS]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    board = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    return sorted(
        _row(r["trial"], r["family"], r["status"], r["score"], r["params"])
        for r in board
        if r["trial"] >= 0
    )


def _start_rest_run(serve: Server) -> tuple[Client, str]:
    client = serve(ready=600)  # a loaded machine starts the server slowly
    dataset_id = client.upload_dataset(DATA)
    for job in client._call("GET", "/jobs")["items"]:
        client.wait_job(job["id"], timeout=600)
    experiment_id = client.create_experiment(dataset_id, TARGET, settings=SETTINGS)
    client.start_experiment(experiment_id)
    return client, experiment_id


def _rest_board(client: Client, experiment_id: str) -> list[tuple[Any, ...]]:
    finished = client.wait_experiment(experiment_id, timeout=1200)
    assert finished["status"] == "finished", finished["error"]
    return sorted(
        _row(t["number"], t["family"], t["status"], t["score"], t["params"])
        for t in client.leaderboard(experiment_id)
    )


def test_cli_options_build_the_same_settings_object() -> None:
    from tunelab.cli import automl_cmd

    options = {
        "task": None,
        "metric": None,
        "time_budget": 900.0,
        "trial_timeout": None,
        "max_trials": 4,
        "early_stopping_rounds": None,
        "algorithms": "logistic_regression,decision_tree",
        "sampler": "random",
        "seed": 3,
        "cv": 3,
        "holdout": None,
        "split": None,
        "split_column": None,
        "column_ranges": None,
        "repeats": None,
        "stratify": None,
        "shuffle": None,
        "test_ratio": 0.2,
        "sample_ratio": None,
        "sample_size": None,
        "balance_to": None,
        "smote": None,
        "synthesizer": None,
        "encoding": None,
        "scaling": None,
        "variance_threshold": None,
        "onehot_max_categories": None,
        "feature_engineering": None,
        "ensemble": "none",
        "refit_best": None,
        "refit_final": None,
        "infer_limit": None,
        "n_jobs": None,
        "cpu_per_trial": None,
        "memory_limit_mb": None,
        "gpu_per_trial": None,
    }
    import inspect

    # every other option is a settings field; these four are not settings of the search
    assert set(options) == set(inspect.signature(automl_cmd.automl).parameters) - {
        "train_file",
        "target",
        "out",
        "n_clusters",  # --task clustering only
        "label",  # --task clustering only
        "ray_address",  # where trials run, not what is searched
    }
    from_cli = settings_from_options(**options)
    assert from_cli.model_dump() == ExperimentSettings.model_validate(SETTINGS).model_dump()


def test_rest_cli_and_python_give_one_leaderboard(serve: Server, tmp_path: Path) -> None:
    client, experiment_id = _start_rest_run(serve)  # the worker runs while the others do
    python = _python_board()
    assert len(python) == 4
    assert all(status == "ok" for _, _, status, _, _ in python)
    assert _cli_board(tmp_path / "cli-model") == python
    assert _rest_board(client, experiment_id) == python
