"""run_experiment end to end with real subprocess trials."""

import json
from pathlib import Path
from typing import Any

import pytest

from tunelab.katib import parse_experiment, run_experiment


def _run(tmp_path: Path, doc: dict[str, Any], **kwargs: Any) -> Any:
    spec = parse_experiment(doc)
    return run_experiment(spec, tmp_path / "work", tmp_path / "out", **kwargs)


def _max_overlap(markers: Path) -> int:
    events = []
    for start in markers.glob("*.start"):
        end = start.with_suffix(".end")
        events.append((float(start.read_text()), 1))
        events.append((float(end.read_text()), -1))
    level = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        level += delta
        peak = max(peak, level)
    return peak


TWO_DIMS = [
    {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}},
    {"name": "n", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}},
]
GRID_DIMS = [
    {
        "name": "x",
        "parameterType": "double",
        "feasibleSpace": {"min": "0", "max": "0.5", "step": "0.25"},
    },
    {"name": "n", "parameterType": "categorical", "feasibleSpace": {"list": ["a", "b"]}},
]


@pytest.mark.parametrize(
    "algorithm",
    ["random", "grid", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "sobol"],
)
def test_algorithm_completes_with_parallel_trials(tmp_path, make_experiment, algorithm):
    markers = tmp_path / "markers"
    markers.mkdir()
    doc = make_experiment(
        algorithm=algorithm,
        settings={"random_state": "1"},
        parameters=GRID_DIMS if algorithm == "grid" else TWO_DIMS,
        max_trials=4,
        parallel=2,
        args=[f"--markers={markers}", "--sleep=0.4"],
    )
    result = _run(tmp_path, doc)
    assert result.condition.reason == "ExperimentMaxTrialsReached"
    assert len(result.trials) == 4
    assert all(t.condition == "Succeeded" for t in result.trials)
    assert len(list(markers.glob("*.end"))) == 4
    assert _max_overlap(markers) == 2  # two trials really ran at once, never three
    if algorithm == "grid":
        points = {tuple(sorted(t.params.items())) for t in result.trials}
        assert len(points) == 4  # no grid point twice


def test_hyperband_runs_brackets_and_promotes_the_best(tmp_path, make_experiment):
    params = [
        {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}},
        {"name": "epochs", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}},
    ]
    doc = make_experiment(
        algorithm="hyperband",
        settings={"r_l": "3", "eta": "3", "resource_name": "epochs", "random_state": "0"},
        parameters=params,
        max_trials=6,
        parallel=3,
    )
    result = _run(tmp_path, doc)
    assert result.condition.type == "Succeeded"
    rung0 = [
        t
        for t in result.trials
        if t.labels["hyperband.bracket"] == "0" and t.labels["hyperband.rung"] == "0"
    ]
    rung1 = [
        t
        for t in result.trials
        if t.labels["hyperband.bracket"] == "0" and t.labels["hyperband.rung"] == "1"
    ]
    assert [t.params["epochs"] for t in rung0] == ["1", "1", "1"]
    assert len(rung1) == 1
    assert rung1[0].params["epochs"] == "3"
    best_first = max(rung0, key=lambda t: t.metrics[0].max)
    assert rung1[0].params["x"] == best_first.params["x"]  # the best config was promoted
    last = [t for t in result.trials if t.labels["hyperband.bracket"] == "1"]
    assert len(last) == 2
    assert all(t.params["epochs"] == "3" for t in last)


def test_failed_trials_end_the_experiment_failed(tmp_path, make_experiment):
    doc = make_experiment(args=["--mode=fail"], max_trials=5, parallel=1, max_failed=2)
    result = _run(tmp_path, doc)
    assert result.condition.type == "Failed"
    assert result.condition.reason == "ExperimentMaxFailedTrialsReached"
    assert [t.condition for t in result.trials] == ["Failed", "Failed"]
    assert result.trials[0].exit_code == 1
    assert "boom" in (tmp_path / "work" / result.trials[0].name / "stdout.log").read_text()


def test_trial_without_metric_is_metrics_unavailable(tmp_path, make_experiment):
    doc = make_experiment(args=["--mode=nometric"], max_trials=1, parallel=1)
    result = _run(tmp_path, doc)
    trial = result.trials[0]
    assert trial.condition == "MetricsUnavailable"
    assert trial.exit_code == 0
    saved = json.loads((tmp_path / "out" / "experiment.json").read_text())
    assert saved["trials"][0]["metrics"][0] == {
        "name": "accuracy",
        "min": "unavailable",
        "max": "unavailable",
        "latest": "unavailable",
    }
    assert result.optimal is None


def test_trial_past_its_deadline_is_killed(tmp_path, make_experiment):
    doc = make_experiment(args=["--mode=hang"], max_trials=1, parallel=1, deadline=1)
    result = _run(tmp_path, doc)
    assert result.trials[0].condition == "Killed"
    assert result.trials[0].reason == "DeadlineExceeded"


def test_default_trial_timeout_applies_without_deadline(tmp_path, make_experiment):
    doc = make_experiment(args=["--mode=hang"], max_trials=1, parallel=1)
    result = _run(tmp_path, doc, trial_timeout=0.5)
    assert result.trials[0].condition == "Killed"


def test_goal_reached_stops_before_max_trials(tmp_path, make_experiment):
    doc = make_experiment(
        max_trials=10,
        parallel=1,
        objective={"type": "maximize", "objectiveMetricName": "accuracy", "goal": 0.0},
    )
    result = _run(tmp_path, doc)
    assert result.condition.type == "Succeeded"
    assert result.condition.reason == "ExperimentGoalReached"
    assert len(result.trials) == 1


def test_medianstop_stops_a_bad_trial(tmp_path, make_experiment):
    doc = make_experiment(
        args=["--mode=median", "--steps=40", "--sleep=0.05", "--bad_from=2"],
        max_trials=3,
        parallel=1,
        extra={
            "earlyStopping": {
                "algorithmName": "medianstop",
                "algorithmSettings": [
                    {"name": "min_trials_required", "value": "2"},
                    {"name": "start_step", "value": "2"},
                ],
            }
        },
    )
    result = _run(tmp_path, doc)
    states = [t.condition for t in result.trials]
    assert states == ["Succeeded", "Succeeded", "EarlyStopped"]
    stopped = result.trials[2]
    assert 2 <= len(stopped.objective_values) < 40
    assert result.optimal is not None
    assert result.optimal.best_trial_name != stopped.name


@pytest.mark.parametrize("fmt", ["TEXT", "JSON"])
def test_file_collector(tmp_path, make_experiment, fmt):
    path = "/var/log/katib/metrics.log"
    doc = make_experiment(
        args=["--mode=file", f"--file={path}", f"--format={fmt}"],
        max_trials=1,
        parallel=1,
        parameters=[
            {"name": "x", "parameterType": "categorical", "feasibleSpace": {"list": ["0.3"]}}
        ],
        extra={
            "metricsCollectorSpec": {
                "collector": {"kind": "File"},
                "source": {"fileSystemPath": {"path": path, "kind": "File", "format": fmt}},
            }
        },
    )
    result = _run(tmp_path, doc)
    trial = result.trials[0]
    assert trial.condition == "Succeeded"
    metrics = {m.name: m for m in trial.metrics}
    assert metrics["accuracy"].max == pytest.approx(1.0)
    assert metrics["accuracy"].min == pytest.approx(0.9)
    local = tmp_path / "work" / trial.name / "var/log/katib/metrics.log"
    assert local.is_file()
    if fmt == "JSON":
        assert metrics["loss"].latest is None  # a JSON number is skipped, as in Katib
    else:
        assert metrics["loss"].latest == pytest.approx(0.5)
