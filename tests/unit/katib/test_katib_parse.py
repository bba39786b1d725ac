"""Parsing and webhook-style validation of Katib Experiments."""

import copy
from pathlib import Path

import pytest

from tunelab.entities import ConfigError
from tunelab.katib import KatibSpecError, load_experiment, parse_experiment

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "katib"

BASE = {
    "apiVersion": "kubeflow.org/v1beta1",
    "kind": "Experiment",
    "metadata": {"name": "demo"},
    "spec": {
        "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
        "algorithm": {"algorithmName": "random"},
        "maxTrialCount": 6,
        "parameters": [
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.01", "max": "0.1"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}},
            {
                "name": "opt",
                "parameterType": "categorical",
                "feasibleSpace": {"list": ["sgd", "adam"]},
            },
        ],
        "trialTemplate": {
            "primaryContainerName": "main",
            "trialParameters": [
                {"name": "lr", "reference": "lr"},
                {"name": "layers", "reference": "layers"},
                {"name": "opt", "reference": "opt"},
                {"name": "trialName", "reference": "${trialSpec.Name}"},
            ],
            "trialSpec": {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "main",
                                    "image": "python:3.11",
                                    "command": [
                                        "python",
                                        "train.py",
                                        "--lr=${trialParameters.lr}",
                                        "--layers=${trialParameters.layers}",
                                        "--opt=${trialParameters.opt}",
                                        "--name=${trialParameters.trialName}",
                                    ],
                                }
                            ]
                        }
                    }
                },
            },
        },
    },
}


def _errors(mutate) -> tuple[str, ...]:
    doc = copy.deepcopy(BASE)
    mutate(doc["spec"])
    with pytest.raises(KatibSpecError) as info:
        parse_experiment(doc)
    return info.value.errors


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_parse(path):
    spec = load_experiment(path)
    assert spec.trial_template.trial_spec is not None


def test_defaults_follow_katib():
    spec = parse_experiment(copy.deepcopy(BASE))
    assert spec.parallel_trial_count == 3
    assert spec.metrics_collector.kind == "StdOut"
    assert spec.objective.strategy("accuracy") == "max"
    assert spec.resume_policy == "Never"
    assert "Complete" in spec.trial_template.success_condition
    assert isinstance(KatibSpecError(["x"]), ConfigError)


def test_all_errors_are_collected_with_field_paths():
    def mutate(spec):
        spec["parameters"][1]["feasibleSpace"].pop("min")
        spec["parameters"][2]["feasibleSpace"]["min"] = "1"
        spec["maxFailedTrialCount"] = 9
        spec["objective"]["additionalMetricNames"] = ["accuracy"]

    errors = _errors(mutate)
    joined = "\n".join(errors)
    assert "spec.parameters[1].feasibleSpace.min: must be set for int parameters" in joined
    assert "spec.parameters[2].feasibleSpace: feasibleSpace .max, .min and .step" in joined
    assert "spec.maxFailedTrialCount: 9: should be less than or equal to" in joined
    assert "spec.objective.additionalMetricNames" in joined
    assert len(errors) >= 4


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: s.update(parallelTrialCount=7), "spec.parallelTrialCount: 7"),
        (lambda s: s.update(maxTrialCount=2), "spec.parallelTrialCount: 3"),  # default 3 > 2
        (lambda s: s["objective"].update(type="best"), "spec.objective.type"),
        (
            lambda s: s["algorithm"].update(algorithmName="magic"),
            "spec.algorithm.algorithmName: unknown algorithm 'magic'",
        ),
        (
            lambda s: s["algorithm"].update(algorithmSettings=[{"name": "foo", "value": "1"}]),
            "spec.algorithm.algorithmSettings[0].name: unknown setting 'foo'",
        ),
        (
            lambda s: s["algorithm"].update(
                algorithmName="tpe", algorithmSettings=[{"name": "gamma", "value": "2"}]
            ),
            "spec.algorithm.algorithmSettings[0].value: gamma must be a number in (0, 1)",
        ),
        (
            lambda s: s["algorithm"].update(algorithmName="grid"),
            "spec.parameters[0].feasibleSpace.step: must be set for double parameters",
        ),
        (
            lambda s: s["parameters"][0]["feasibleSpace"].update(distribution="zipf"),
            "spec.parameters[0].feasibleSpace.distribution",
        ),
        (
            lambda s: s["parameters"][0].update(parameterType="float"),
            "spec.parameters[0].parameterType",
        ),
        (
            lambda s: s["trialTemplate"]["trialParameters"].pop(0),
            "parameters: ['lr'] in spec.trialTemplate not found in spec.trialParameters",
        ),
        (
            lambda s: s["trialTemplate"]["trialParameters"].append(
                {"name": "unused", "reference": "lr"}
            ),
            "spec.trialTemplate.trialParameters[4].name: parameter name: unused",
        ),
        (
            lambda s: s["trialTemplate"]["trialParameters"][0].update(reference="nope"),
            "spec.trialTemplate.trialParameters[0].reference: parameter reference nope",
        ),
        (
            lambda s: s["trialTemplate"].update(primaryContainerName="other"),
            "spec.trialTemplate.primaryContainerName: container 'other' not found",
        ),
        (
            lambda s: s.update(metricsCollectorSpec={"collector": {"kind": "None"}}),
            "spec.metricsCollectorSpec.collector.kind: None",
        ),
        (
            lambda s: s.update(
                metricsCollectorSpec={
                    "collector": {"kind": "StdOut"},
                    "source": {"filter": {"metricsFormat": ["acc=(\\d+)"]}},
                }
            ),
            "two top subexpressions are required",
        ),
        (
            lambda s: s.update(
                metricsCollectorSpec={
                    "collector": {"kind": "File"},
                    "source": {
                        "fileSystemPath": {"path": "/m.json", "kind": "File", "format": "JSON"},
                        "filter": {"metricsFormat": ["(a)=(b)"]},
                    },
                }
            ),
            "spec.metricsCollectorSpec.source.filter: filter must be nil",
        ),
        (
            lambda s: s.update(
                metricsCollectorSpec={
                    "collector": {"kind": "File"},
                    "source": {"fileSystemPath": {"path": "relative.log", "kind": "File"}},
                }
            ),
            "spec.metricsCollectorSpec.source.fileSystemPath.path",
        ),
        (lambda s: s.update(resumePolicy="Sometimes"), "spec.resumePolicy"),
        (lambda s: s["algorithm"].update(algorithmName="pbt"), "needs a Kubernetes cluster"),
        (
            lambda s: s.update(earlyStopping={"algorithmName": "magicstop"}),
            "spec.earlyStopping.algorithmName",
        ),
    ],
)
def test_invalid_specs_name_the_field(mutate, expected):
    assert expected in "\n".join(_errors(mutate))


def test_grid_rejects_more_trials_than_combinations():
    def mutate(spec):
        spec["algorithm"]["algorithmName"] = "grid"
        spec["parameters"][0]["feasibleSpace"]["step"] = "0.045"  # 0.01, 0.055, 0.1 -> 3
        spec["maxTrialCount"] = 19

    assert (
        "spec.maxTrialCount: 19 must be less than or equal to the number of grid "
        "combinations (18)" in "\n".join(_errors(mutate))
    )


def test_hyperband_rules():
    def missing(spec):
        spec["algorithm"] = {
            "algorithmName": "hyperband",
            "algorithmSettings": [{"name": "eta", "value": "3"}],
        }

    joined = "\n".join(_errors(missing))
    assert "r_l must be set" in joined
    assert "resource_name must be set" in joined

    def not_a_param(spec):
        spec["algorithm"] = {
            "algorithmName": "hyperband",
            "algorithmSettings": [
                {"name": "r_l", "value": "9"},
                {"name": "resource_name", "value": "epochs"},
            ],
        }

    joined = "\n".join(_errors(not_a_param))
    assert "resource_name 'epochs' must be one of spec.parameters" in joined
    assert "spec.parallelTrialCount: 3 must be at least" in joined  # needs ceil(3^2) = 9


def test_cmaes_needs_two_continuous_dims():
    def mutate(spec):
        spec["algorithm"]["algorithmName"] = "cmaes"
        spec["parameters"] = spec["parameters"][:1] + spec["parameters"][2:]

    joined = "\n".join(_errors(mutate))
    assert "CMA-ES needs two or more continuous dimensions" in joined
    assert "spec.parameters[1].parameterType: CMA-ES only supports int and double" in joined


def test_yaml_problems_are_spec_errors(tmp_path):
    with pytest.raises(KatibSpecError, match="file not found"):
        load_experiment(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed")
    with pytest.raises(KatibSpecError, match="not valid YAML"):
        load_experiment(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {}\n")
    with pytest.raises(KatibSpecError) as info:
        load_experiment(wrong)
    joined = "\n".join(info.value.errors)
    assert "apiVersion" in joined
    assert "metadata.name" in joined
