"""The lab's parameters, the grouped CV of a trial and the trial script's output."""

from pathlib import Path

import numpy as np
import pytest

from tunelab.entities import ConfigError
from tunelab.recipes.gender import (
    LabParams,
    build_features,
    cross_validate,
    keyword_table,
    product_table,
    simulate,
)
from tunelab.recipes.gender.train_trial import main


def test_params_from_katib_strings() -> None:
    p = LabParams.from_mapping(
        {"C": "2.5", "calib_cv": "3", "penalty": "l1", "tune_t_steps": "81"}
    )
    assert (p.C, p.calib_cv, p.penalty, p.tune_t_steps) == (2.5, 3, "l1", 81)
    with pytest.raises(ConfigError, match="penalty"):
        LabParams(penalty="l3")
    with pytest.raises(ConfigError, match="unknown"):
        LabParams.from_mapping({"gamma": "1"})
    with pytest.raises(ConfigError, match="tune_t_lo"):
        LabParams(tune_t_lo=0.6, tune_t_hi=0.5)


@pytest.fixture(scope="module")
def features_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = simulate(900, seed=2)
    feats = build_features(
        sim.events, product_table(), keyword_table(sim.events["search_keyword"])
    )
    path = tmp_path_factory.mktemp("trial") / "train_features.csv"
    feats.to_csv(path, index=False)
    return path


def test_tuned_strategy_really_tunes_and_prod_uses_the_fixed_threshold(features_csv: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(features_csv, dtype={"user_id": str})
    prod = cross_validate(frame, LabParams(prod_threshold=0.36, calib_cv=3), folds=3)
    assert prod.threshold == pytest.approx(0.36)
    tuned = cross_validate(
        frame, LabParams(threshold_strategy="tuned", tune_t_lo=0.3, tune_t_hi=0.7, calib_cv=3),
        folds=3,
    )  # fmt: skip
    grid = np.linspace(0.3, 0.7, 61)
    assert np.isclose(grid, tuned.threshold).any()
    assert 0.0 < tuned.macro_f1 < 1.0
    assert 0.0 < tuned.pr_auc < 1.0


def test_trial_script_prints_katib_metrics(
    features_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([f"--input-path={features_csv}", "--C=0.5", "--calib-cv=3", "--folds=3",
                 "--threshold-strategy=tuned", "--unknown-flag=1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    names = [line.split("=")[0] for line in out.strip().splitlines()]
    assert names == ["Valid-macroF1", "Valid-accuracy", "PR-AUC", "Used-threshold"]
    assert all(len(line.split("=")[1].split(".")[1]) == 6 for line in out.strip().splitlines())


def test_trial_script_fails_cleanly_on_a_missing_file(tmp_path: Path) -> None:
    assert main([f"--input-path={tmp_path / 'nope.csv'}"]) == 2
