"""Metric parsing, medianstop, hyperband plan, templates, search helpers and export."""

import copy
import sys

import pytest

from tunelab.entities import ConfigError
from tunelab.katib import experiment_document, parse_experiment
from tunelab.katib.earlystop import MedianStop
from tunelab.katib.hyperband import hyperband_plan
from tunelab.katib.metrics import JsonParser, MetricLog, TextParser
from tunelab.katib.search import categorical, double, int_, integer, space_from_mapping
from tunelab.katib.spec import DEFAULT_METRICS_FORMAT
from tunelab.katib.template import render_trial


def test_text_parser_default_format():
    parser = TextParser(["accuracy", "loss", "Score"], [DEFAULT_METRICS_FORMAT])
    got = parser.parse("epoch=3 accuracy=0.87 loss = 0.3 other=5")
    assert [(o.name, o.value) for o in got] == [("accuracy", 0.87), ("loss", 0.3)]
    assert parser.parse("Score=-7.5e-05")[0].value == pytest.approx(-7.5e-05)
    assert parser.parse("epoch=3 speed=1.2") == []  # no metric name in the line
    stamped = parser.parse("2024-01-02T03:04:05Z accuracy=0.5")
    assert stamped[0].timestamp == pytest.approx(1704164645.0)


def test_text_parser_custom_filter_replaces_default():
    parser = TextParser(["accuracy"], [r"([\w-]+)\s*:\s*([+-]?\d*\.?\d+)"])
    assert [(o.name, o.value) for o in parser.parse("accuracy: 0.75")] == [("accuracy", 0.75)]
    assert parser.parse("accuracy=0.75") == []


def test_json_parser_only_string_values():
    parser = JsonParser(["accuracy", "loss"])
    got = parser.parse('{"accuracy": "0.9", "loss": 0.1, "timestamp": 1700000000.5}')
    assert [(o.name, o.value) for o in got] == [("accuracy", 0.9)]
    assert got[0].timestamp == 1700000000.5
    assert parser.parse("not json") == []


def test_metric_log_summary_marks_unavailable():
    log = MetricLog()
    parser = TextParser(["acc", "loss"], [DEFAULT_METRICS_FORMAT])
    for line in ["acc=0.5", "acc=0.9", "acc=0.7"]:
        log.add(parser.parse(line))
    acc, loss = log.summarize(["acc", "loss"])
    assert (acc.min, acc.max, acc.latest) == (0.5, 0.9, 0.7)
    assert loss.to_json()["latest"] == "unavailable"


def test_medianstop_uses_mean_of_means():
    rule = MedianStop(maximize=True, min_trials_required=3, start_step=2)
    rule.update([[0.9, 0.9], [0.8, 0.8]])
    assert rule.threshold is None  # not enough finished trials
    # means of the first two values: 0.5, 0.6, 1.0 -> mean 0.7 (the median would be 0.6)
    rule.update([[0.4, 0.6, 0.0], [0.6, 0.6], [1.0, 1.0]])
    assert rule.threshold == pytest.approx(0.7)
    assert not rule.should_stop([0.65])  # fewer than start_step values
    assert rule.should_stop([0.9, 0.65])
    assert not rule.should_stop([0.1, 0.75])
    low = MedianStop(maximize=False, min_trials_required=1, start_step=1)
    low.update([[0.2]])
    assert low.should_stop([0.3])
    assert not low.should_stop([0.1])


def test_hyperband_plan_matches_the_paper():
    plan = hyperband_plan(81, 3)
    assert [rung[0] for rung in plan[0]] == [81, 27, 9, 3, 1]
    assert [round(rung[1], 6) for rung in plan[0]] == [1, 3, 9, 27, 81]
    assert [len(b) for b in plan] == [5, 4, 3, 2, 1]
    assert plan[-1] == [(5, 81)]


DOC = experiment_document(
    {"lr": double(0.001, 0.1, log=True), "layers": int_(1, 4), "opt": categorical(["a", "b"])},
    name="demo",
    objective_command="python3 train.py --fast",
    metric="accuracy",
)


def test_export_round_trip_and_render():
    spec = parse_experiment(copy.deepcopy(DOC))
    cmd = render_trial(spec, "demo-0001", {"lr": "0.01", "layers": "2", "opt": "b"})
    assert cmd.argv[0] == sys.executable  # python3 runs with this interpreter
    assert cmd.argv[1:] == ("train.py", "--fast", "--lr=0.01", "--layers=2", "--opt=b")
    assert cmd.image.startswith("docker.io/library/python")
    assert spec.parameter("layers").feasible_space.max == "4"


def test_render_meta_references_and_env(tmp_path):
    doc = copy.deepcopy(DOC)
    job = doc["spec"]["trialTemplate"]["trialSpec"]
    job["metadata"] = {"labels": {"team": "ml"}}
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["command"].append("--trial=${trialSpec.Name}/${trialSpec.Labels[team]}")
    container["env"] = [{"name": "MODE", "value": "${trialParameters.opt}"}]
    (tmp_path / "train.py").write_text("")
    spec = parse_experiment(doc)
    cmd = render_trial(
        spec, "demo-0002", {"lr": "0.1", "layers": "1", "opt": "a"}, source_dir=tmp_path
    )
    assert cmd.argv[-1] == "--trial=demo-0002/ml"
    assert cmd.argv[1] == str((tmp_path / "train.py").resolve())
    assert cmd.env == {"MODE": "a"}


def test_search_helpers():
    assert integer is int_
    assert double(0, 1, step=0.5).to_katib("x")["feasibleSpace"] == {
        "min": "0.0",
        "max": "1.0",
        "step": "0.5",
    }
    assert categorical([1, "b"]).decode("1") == 1
    space = space_from_mapping({"a": {"type": "int", "min": 1, "max": 3}})
    assert space["a"] == int_(1, 3)
    with pytest.raises(ConfigError, match=r"parameters\.b\.max"):
        space_from_mapping({"b": {"type": "double", "min": 1}})
    with pytest.raises(ConfigError, match="non-empty"):
        categorical([])
