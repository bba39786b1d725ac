"""The typed settings model: errors name the field, strict types, allowed values single-sourced."""

import math
from typing import Any, get_args

import pytest

from tunelab.entities import (
    AutoMLSettings,
    AutoMLSettingsPatch,
    ConfigError,
    ExperimentSettings,
    SettingsError,
    parse_settings,
)
from tunelab.entities.settings import MAX_TIME_BUDGET, Sampler

# settings JSON -> (field named, words of the message)
BAD = [
    ({"time_budget": True}, "time_budget", "valid number"),
    ({"time_budget": math.nan}, "time_budget", "finite"),
    ({"time_budget": math.inf}, "time_budget", "finite"),
    ({"time_budget": MAX_TIME_BUDGET + 1}, "time_budget", "less than or equal to 604800"),
    ({"time_budget": 0}, "time_budget", "greater than 0"),
    ({"time_budget": "60"}, "time_budget", "valid number"),
    ({"time_budget": None}, "time_budget", "set time_budget or max_trials"),
    ({"trial_timeout": -1}, "trial_timeout", "greater than 0"),
    ({"max_trials": 0}, "max_trials", "greater than or equal to 1"),
    ({"max_trials": 2.5}, "max_trials", "valid integer"),
    ({"max_trials": False}, "max_trials", "valid integer"),
    ({"early_stopping_rounds": 0}, "early_stopping_rounds", "greater than or equal to 1"),
    ({"algorithms": []}, "algorithms", "omit it for all families"),
    ({"algorithms": ["lightgbm", " "]}, "algorithms", "empty"),
    ({"algorithms": [3]}, "algorithms", "valid string"),
    ({"sampler": "annealing"}, "sampler", "'tpe'"),
    ({"ensemble": "voting"}, "ensemble", "'greedy'"),
    ({"seed": -1}, "seed", "greater than or equal to 0"),
    ({"n_jobs": 0}, "n_jobs", "greater than or equal to 1"),
    ({"n_jobs": 65}, "n_jobs", "less than or equal to 64"),
    ({"cpu_per_trial": 65}, "cpu_per_trial", "less than or equal to 64"),
    ({"cpu_per_trial": 0}, "cpu_per_trial", "greater than or equal to 1"),
    ({"gpu_per_trial": -1}, "gpu_per_trial", "greater than or equal to 0"),
    ({"executor": {"kind": "slurm"}}, "executor.kind", "'local' or 'ray'"),
    ({"executor": {"kind": "local", "address": "h:1"}}, "executor", "kind 'ray' only"),
    ({"memory_limit_mb": 0}, "memory_limit_mb", "greater than 0"),
    ({"infer_limit": math.inf}, "infer_limit", "finite"),
    ({"refit_final": 1}, "refit_final", "valid boolean"),
    ({"log_level": "loud"}, "log_level", "'debug'"),
    ({"test_ratio": 1.0}, "test_ratio", "less than 1"),
    ({"typo": 1}, "typo", "unknown setting; known: algorithms"),
    ({"split": {"kind": "holdout", "ratios": [0.5, 0.4, 0.3]}}, "split.ratios", "sum to 1"),
    ({"split": {"kind": "holdout", "ratios": [0, 0.5, 0.5]}}, "split.ratios", "above 0"),
    ({"split": {"kind": "holdout", "ratios": [0.5, 0.5]}}, "split.ratios", "too few values"),
    ({"split": {"folds": 1}}, "split.folds", "greater than or equal to 2"),
    ({"split": {"kind": "bogus"}}, "split.kind", "'holdout'"),
    ({"split": {"kind": "group"}}, "split.column", "needs the column"),
    ({"split": {"column_ranges": [[0, 1]] * 3, "column": "x"}}, "split.column_ranges", "holdout"),
    (
        {"split": {"kind": "holdout", "column": "x", "column_ranges": [[0, 1], [3, 2], [4, 5]]}},
        "split.column_ranges",
        "valid has low 3 above high 2",
    ),
    ({"split": {"fold": 3}}, "split.fold", "unknown setting; known: column"),
    ({"split": {"stratify": "no"}}, "split.stratify", "valid boolean"),
    ({"sampling": {"ratio": 1.5}}, "sampling.ratio", "less than or equal to 1"),
    ({"sampling": {"ratio": 0}}, "sampling.ratio", "greater than 0"),
    ({"sampling": {"size": 1}}, "sampling.size", "greater than or equal to 2"),
    ({"preprocessing": {"scaling": "zscore"}}, "preprocessing.scaling", "'none'"),
    (
        {"preprocessing": {"feature_engineering": ["pca", "magic"]}},
        "preprocessing.feature_engineering",
        "'pca'",
    ),
    (
        {"preprocessing": {"variance_threshold": -1}},
        "preprocessing.variance_threshold",
        "greater than or equal to 0",
    ),
]


@pytest.mark.parametrize(("settings", "field", "words"), BAD)
def test_a_bad_setting_names_its_field(settings: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings(settings)
    assert isinstance(info.value, ConfigError)
    assert info.value.field == field
    assert words in info.value.reason
    assert str(info.value).startswith(f"{field}: ")


def test_every_bad_field_is_reported_once() -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings({"n_jobs": 0, "seed": True, "split": {"folds": 1, "repeats": 0}})
    fields = [field for field, _ in info.value.errors]
    assert fields == ["seed", "n_jobs", "split.folds", "split.repeats"]


def test_null_restores_the_default_except_where_it_means_off() -> None:
    loaded = parse_settings({"sampler": None, "seed": None, "time_budget": None, "max_trials": 2})
    assert (loaded.sampler, loaded.seed, loaded.time_budget) == ("tpe", 0, None)
    assert loaded.stored() == {"time_budget": None, "max_trials": 2}


def test_defaults_and_engine_views() -> None:
    settings = parse_settings(
        {"split": {"kind": "holdout", "ratios": [0.7, 0.2, 0.1]}, "sampling": {"smote": False}}
    )
    assert settings.budget.time_budget == 60.0
    assert settings.split_config is not None
    assert settings.split_config.ratios == (0.7, 0.2, 0.1)
    assert settings.sampling_config is None  # sampling that does nothing
    assert AutoMLSettings().stored() == {}


def test_the_model_is_frozen_and_refuses_unknown_keys() -> None:
    settings = AutoMLSettings()
    with pytest.raises(Exception, match="frozen"):
        settings.seed = 3  # type: ignore[misc]
    with pytest.raises(SettingsError, match="unknown setting"):
        parse_settings({"task": "binary"})  # the task lives beside the settings
    assert parse_settings({"task": "binary"}, ExperimentSettings).task == "binary"


def test_data_checks_name_the_field() -> None:
    settings = parse_settings(
        {"split": {"kind": "group", "column": "shop"}, "sampling": {"balance_to": "maybe"}}
    )
    with pytest.raises(SettingsError) as info:
        settings.check_data(task="binary", columns=["x", "label"], classes=["no", "yes"])
    assert [f for f, _ in info.value.errors] == ["split.column", "sampling.balance_to"]
    with pytest.raises(SettingsError, match=r"sampling\.smote: class balancing needs"):
        parse_settings({"sampling": {"smote": True}}).check_data(task="regression")


def test_the_patch_model_takes_any_subset_and_null() -> None:
    patch = AutoMLSettingsPatch.model_validate({"sampler": None, "seed": 4})
    assert patch.model_dump(exclude_unset=True) == {"sampler": None, "seed": 4}
    with pytest.raises(Exception, match="extra"):
        AutoMLSettingsPatch.model_validate({"typo": 1})


def test_the_schema_declares_units_and_choices() -> None:
    schema = AutoMLSettings.model_json_schema()
    props = schema["properties"]
    assert props["time_budget"]["anyOf"][0]["maximum"] == MAX_TIME_BUDGET
    assert props["time_budget"]["unit"] == "s"
    assert props["sampler"]["enum"] == list(get_args(Sampler))
    assert schema["additionalProperties"] is False
