"""Resume, the ``tunelab tune`` command, export round trip and the Python API."""

import json

import pytest
import typer
import yaml
from typer.testing import CliRunner

from tunelab.cli import tune_cmd
from tunelab.katib import KatibSpecError, load_experiment, parse_experiment, run_experiment, tune
from tunelab.katib.search import categorical, double, int_


def _app() -> typer.Typer:
    app = typer.Typer()
    tune_cmd.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "tune" as a sub-command
        """Unused."""

    return app


def test_resume_with_a_raised_count_does_not_repeat_trials(tmp_path, make_experiment):
    markers = tmp_path / "markers"
    markers.mkdir()
    args = [f"--markers={markers}"]
    extra = {"resumePolicy": "LongRunning"}
    first = parse_experiment(make_experiment(max_trials=2, parallel=1, args=args, extra=extra))
    run_experiment(first, tmp_path / "work", tmp_path / "out")
    second = parse_experiment(make_experiment(max_trials=4, parallel=2, args=args, extra=extra))
    result = run_experiment(second, tmp_path / "work", tmp_path / "out", resume=True)
    assert result.condition.reason == "ExperimentMaxTrialsReached"
    assert len(result.trials) == 4
    assert len(list(markers.glob("*.start"))) == 4  # the first two did not run again
    assert len({t.name for t in result.trials}) == 4


def test_restart_needs_a_resume_policy(tmp_path, make_experiment):
    run_experiment(
        parse_experiment(make_experiment(max_trials=1, parallel=1)), tmp_path / "w", tmp_path / "o"
    )
    more = parse_experiment(make_experiment(max_trials=2, parallel=1))
    with pytest.raises(KatibSpecError, match=r"spec\.resumePolicy"):
        run_experiment(more, tmp_path / "w", tmp_path / "o", resume=True)
    changed = parse_experiment(make_experiment(max_trials=2, parallel=1, algorithm="tpe"))
    with pytest.raises(KatibSpecError, match=r"only spec\.parallelTrialCount"):
        run_experiment(changed, tmp_path / "w", tmp_path / "o", resume=True)


def test_interrupted_running_trial_is_rerun_with_same_parameters(tmp_path, make_experiment):
    spec = parse_experiment(make_experiment(max_trials=3, parallel=1))
    run_experiment(spec, tmp_path / "w", tmp_path / "o")
    path = tmp_path / "o" / "experiment.json"
    doc = json.loads(path.read_text())
    # what a killed process leaves behind: the last trial still Running
    doc["condition"] = {"type": "Running", "reason": "ExperimentRunning", "message": ""}
    doc["trials"][-1]["condition"] = "Running"
    interrupted = doc["trials"][-1]
    path.write_text(json.dumps(doc))
    result = run_experiment(spec, tmp_path / "w", tmp_path / "o", resume=True)
    assert len(result.trials) == 3
    assert [t.name for t in result.trials[:2]] == [t["name"] for t in doc["trials"][:2]]
    rerun = result.trials[-1]
    assert rerun.name != interrupted["name"]
    assert [{"name": k, "value": v} for k, v in rerun.assignments] == interrupted[
        "parameterAssignments"
    ]


def test_cli_runs_and_writes_experiment_json(tmp_path, make_experiment):
    yaml_path = tmp_path / "exp.yaml"
    yaml_path.write_text(yaml.safe_dump(make_experiment(max_trials=2, parallel=2)))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        _app(), ["tune", str(yaml_path), "--out", str(out), "--workdir", str(tmp_path / "w")]
    )
    assert res.exit_code == 0, res.output
    assert "best trial" in res.output
    doc = json.loads((out / "experiment.json").read_text())
    assert {"name", "spec", "condition", "trials", "currentOptimalTrial"} <= set(doc)
    assert doc["condition"]["reason"] == "ExperimentMaxTrialsReached"
    trial = doc["trials"][0]
    assert {
        "name",
        "parameterAssignments",
        "metrics",
        "condition",
        "startTime",
        "endTime",
        "exitCode",
        "command",
    } <= set(trial)
    assert set(trial["metrics"][0]) == {"name", "min", "max", "latest"}
    assert doc["currentOptimalTrial"]["bestTrialName"] in {t["name"] for t in doc["trials"]}


def test_cli_exit_codes_for_failed_and_invalid(tmp_path, make_experiment):
    failing = tmp_path / "fail.yaml"
    failing.write_text(
        yaml.safe_dump(
            make_experiment(args=["--mode=fail"], max_trials=1, parallel=1, max_failed=1)
        )
    )
    res = CliRunner().invoke(_app(), ["tune", str(failing), "--out", str(tmp_path / "o1")])
    assert res.exit_code == 1, res.output
    bad_doc = make_experiment(max_trials=1, parallel=1)
    bad_doc["spec"]["parameters"][0]["feasibleSpace"].pop("min")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(bad_doc))
    res = CliRunner().invoke(_app(), ["tune", str(bad), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2
    assert "spec.parameters[0].feasibleSpace.min" in res.output


def test_cli_export_round_trips(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(
        yaml.safe_dump(
            {
                "parameters": {
                    "lr": {"type": "double", "min": 0.001, "max": 0.1, "log": True},
                    "layers": {"type": "int", "min": 1, "max": 5},
                    "opt": {"type": "categorical", "values": ["sgd", "adam"]},
                }
            },
            sort_keys=False,
        )
    )
    out = tmp_path / "katib.yaml"
    res = CliRunner().invoke(
        _app(),
        [
            "tune",
            "--export-katib",
            str(out),
            "--objective-command",
            "python train.py",
            "--space",
            str(space),
            "--metric",
            "loss",
            "--direction",
            "minimize",
            "--max-trials",
            "6",
            "--parallel-trials",
            "2",
            "--name",
            "exported",
        ],
    )
    assert res.exit_code == 0, res.output
    spec = load_experiment(out)
    assert spec.name == "exported"
    assert spec.objective.objective_metric_name == "loss"
    assert not spec.objective.maximize
    assert [p.name for p in spec.parameters] == ["lr", "layers", "opt"]
    assert spec.parameter("lr").feasible_space.distribution == "logUniform"
    assert spec.max_trial_count == 6
    assert spec.parallel_trial_count == 2


def test_tune_api_finds_the_quadratic_optimum():
    def objective(params):
        return {
            "score": -((params["x"] - 2.0) ** 2) - (params["k"] - 3) ** 2,
            "bonus": 1.0 if params["mode"] == "b" else 0.0,
        }

    result = tune(
        objective,
        {"x": double(-5, 5), "k": int_(0, 6), "mode": categorical(["a", "b"])},
        metric="score",
        algorithm="tpe",
        max_trials=40,
        parallel_trials=2,
        seed=0,
    )
    assert result.trials == 40
    assert result.best_params is not None
    assert abs(result.best_params["x"] - 2.0) < 0.6
    assert result.best_params["k"] == 3
    assert isinstance(result.best_params["k"], int)
    assert result.best_value is not None
    assert result.best_value > -0.5


def test_tune_api_goal_and_failures():
    calls = []

    def objective(params):
        calls.append(params)
        if len(calls) == 1:
            raise RuntimeError("first trial breaks")
        return 1.0

    result = tune(objective, {"x": double(0, 1)}, metric="m", max_trials=10, goal=0.5, seed=1)
    assert result.experiment.trials[0].condition == "Failed"
    assert result.experiment.condition.reason == "ExperimentGoalReached"
    assert result.trials == 2
