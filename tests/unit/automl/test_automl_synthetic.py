"""AutoML with sampling.size above the training rows: synthetic rows, learnt from training
rows only, and the report's honest ``synthetic`` block."""

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame, regression_frame

from tunelab import AutoML
from tunelab.entities import ExperimentSettings, SamplingConfig, SettingsError, parse_settings
from tunelab.synthetic import GaussianCopulaSynthesizer

SEEN = "seen_f0.txt"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[AutoML, Path, Path, pd.DataFrame]:
    """A run whose synthesizer fits record every ``f0`` value they see (trials are forked
    children: they append to a file)."""
    folder = tmp_path_factory.mktemp("synthetic")
    seen = folder / SEEN
    original = GaussianCopulaSynthesizer.fit

    def recording_fit(self: GaussianCopulaSynthesizer, X: pd.DataFrame, y: Any = None) -> Any:
        with seen.open("a", encoding="utf-8") as out:
            out.writelines(f"{v!r}\n" for v in X["f0"])
        return original(self, X, y)

    frame = classification_frame(160, seed=2)
    mp = pytest.MonkeyPatch()
    mp.setattr(GaussianCopulaSynthesizer, "fit", recording_fit)
    try:
        automl = AutoML(
            time_budget=None,
            max_trials=2,
            algorithms=CHEAP,
            test_ratio=0.25,
            sampling=SamplingConfig(size=500),
            seed=3,
        ).fit(frame, target="label")
    finally:
        mp.undo()
    return automl, automl.save(folder / "model"), seen, frame


def test_the_report_has_a_synthetic_block(run: tuple[AutoML, Path, Path, pd.DataFrame]) -> None:
    automl, path, _, _ = run
    report = json.loads((path / "report" / "report.json").read_text(encoding="utf-8"))
    block = report["synthetic"]
    assert block == json.loads((path / "synthetic.json").read_text(encoding="utf-8"))
    assert block["synthesizer"] == "copula"
    assert block["rows_real"] == 120
    assert block["rows_synthetic"] == 500 - 120
    columns = {c["column"]: c for c in block["columns"]}
    assert set(columns) == {*automl.feature_columns_, "label"}
    assert columns["color"]["distance"] == "tv"
    assert columns["f0"]["distance"] == "ks"
    assert all(0.0 <= c["value"] <= 1.0 for c in columns.values())
    assert 0.0 <= block["discriminator_auc"] <= 1.0
    test = block["test"]
    assert test["rows"] == 40
    assert test["metric"] == automl.metric_
    assert 0.0 <= test["with_synthetic"] <= 1.0
    assert 0.0 <= test["without_synthetic"] <= 1.0
    assert test["verdict"] in ("gain", "no gain")
    assert block["verdict"] == test["verdict"]
    low, high = test["gain_ci"]
    assert (test["verdict"] == "gain") == (low > 0)
    assert low <= test["gain"] <= high
    readme = (path / "report" / "README.md").read_text(encoding="utf-8")
    assert "## Synthetic rows" in readme
    assert "discriminator AUC" in readme
    preparation = block["preparation"]  # every training part's synthesizers, before the search
    parts = {fit["part"] for fit in preparation["synthesizers"]}
    assert parts == {f"fold {i + 1}" for i in range(len(automl.split_rows_["folds"]))} | {
        "all training rows"
    }
    assert preparation["cut"] is False
    assert preparation["allowed_seconds"] is None  # no time budget: nothing to cut
    assert "Synthesizer training: no time budget" in readme


def test_the_preparation_says_what_the_budget_cut() -> None:
    from tunelab.automl._synthetic import preparation_summary

    fits = [
        {"part": "fold 1", "class": "0", "steps": 600, "steps_done": 20, "cut": True},
        {"part": "fold 1", "class": "1", "steps": 600, "steps_done": 600, "cut": False},
        {"part": "all training rows", "class": "0", "steps": 600, "steps_done": 45, "cut": True},
    ]
    summary = preparation_summary(fits, allowed=4.0, seconds=4.2)
    assert summary["cut"] is True
    assert "2 of 3 GAN synthesizers were cut short" in summary["note"]
    assert "65 of 1200 training steps done" in summary["note"]
    whole = preparation_summary(fits[1:2], allowed=4.0, seconds=1.0)
    assert whole["cut"] is False
    assert "full number of steps" in whole["note"]


def test_test_rows_never_reach_the_synthesizer(
    run: tuple[AutoML, Path, Path, pd.DataFrame],
) -> None:
    automl, _, seen, frame = run
    lines = seen.read_text(encoding="utf-8").split()
    # each training part was learnt exactly once: every fold's rows before the search
    # (trials find them drawn), then all training rows for the refit (the report reuses them)
    rows = automl.split_rows_
    assert len(lines) == sum(len(train) for train, _ in rows["folds"]) + len(rows["fit"])
    values = {float(line) for line in lines}
    test_values = set(frame["f0"].to_numpy()[rows["test"]].tolist())
    train_values = set(frame["f0"].to_numpy()[rows["fit"]].tolist())
    assert values  # the synthesizers did fit (folds, refit, report)
    assert values <= train_values
    assert not values & test_values


def test_no_synthetic_block_without_a_size_above_the_rows() -> None:
    automl = AutoML(
        time_budget=None,
        max_trials=1,
        algorithms=["decision_tree"],
        sampling=SamplingConfig(size=1000, synthesizer="none"),
        test_ratio=0.2,
    ).fit(regression_frame(80), target="price")
    assert automl.synthetic_ is not None
    assert automl.synthetic_["rows_synthetic"] == 0
    assert automl.synthetic_["verdict"] == "not used"
    plain = AutoML(time_budget=None, max_trials=1, algorithms=["decision_tree"])
    assert plain.fit(regression_frame(80), target="price").synthetic_ is None


@pytest.mark.parametrize(
    ("sampling", "field"),
    [
        ({"size": 0}, "sampling.size"),
        ({"size": -5}, "sampling.size"),
        ({"size": 100, "synthesizer": "gan"}, "sampling.synthesizer"),
    ],
)
def test_bad_sampling_settings_name_the_field(sampling: dict[str, Any], field: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"sampling": sampling}, ExperimentSettings)
    assert field in str(caught.value)


def test_the_synthesizer_setting_reaches_the_engine() -> None:
    settings = parse_settings({"sampling": {"size": 50}}, ExperimentSettings)
    assert settings.sampling_config == SamplingConfig(size=50, synthesizer="copula")
    assert settings.stored() == {"sampling": {"size": 50}}  # the default stays implicit
    engine = AutoML.from_settings({"sampling": {"size": 50, "synthesizer": "none"}})
    assert engine.sampling == SamplingConfig(size=50, synthesizer="none")
    assert engine.to_settings().stored()["sampling"]["synthesizer"] == "none"
