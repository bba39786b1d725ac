"""Bad input through read_table and the AutoML facade: clear errors that name the problem."""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame

from tunelab import AutoML
from tunelab.data import read_table
from tunelab.entities import ConfigError, DataError, TaskType, TrialStatus


def _fit(frame: pd.DataFrame, **kwargs: Any) -> AutoML:
    settings: dict[str, Any] = {
        "time_budget": None,
        "max_trials": 2,
        "algorithms": ["logistic_regression"],
    }
    settings.update(kwargs)
    return AutoML(**settings).fit(frame, target="label")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv.*empty"):
        read_table(path)


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("a,b,label\n")
    with pytest.raises(DataError, match=r"header\.csv.*header but no data rows"):
        read_table(path)


def test_single_row() -> None:
    with pytest.raises(DataError, match="'label'"):
        _fit(classification_frame(50).head(1))


def test_constant_target() -> None:
    frame = classification_frame(50).assign(label="yes")
    with pytest.raises(DataError, match=r"'label' is constant"):
        _fit(frame)


def test_all_missing_target() -> None:
    frame = classification_frame(50).assign(label=None)
    with pytest.raises(DataError, match=r"'label' is missing in every row"):
        _fit(frame)


def test_one_class_only_with_missing_values() -> None:
    frame = classification_frame(50)
    frame["label"] = ["yes" if i % 2 == 0 else None for i in range(50)]
    with pytest.raises(DataError, match=r"'label'.*constant"):
        _fit(frame, task="binary")


def test_target_with_missing_values_drops_and_counts_rows() -> None:
    frame = classification_frame(200)
    frame.loc[frame.index[::12], "label"] = None
    automl = _fit(frame)
    assert automl.n_dropped_missing_target_ == 17
    assert len(automl._y) == 200 - 17
    assert set(automl.predict(frame)) <= {"no", "yes"}  # rows without a target still predict


def test_all_missing_column_is_skipped_and_the_rest_fits() -> None:
    frame = classification_frame(150).assign(empty=np.nan)
    automl = _fit(frame)
    assert "empty" not in automl.feature_columns_
    assert "f0" in automl.feature_columns_
    assert all(r.status is TrialStatus.OK for r in automl.trials_)


def test_mixed_types_in_a_column_fit_and_predict() -> None:
    frame = classification_frame(200)
    frame["mixed"] = pd.Series([1, "two", 3.5, None, "x"] * 40, dtype=object)
    automl = _fit(frame, algorithms=CHEAP)
    assert "mixed" in automl.feature_columns_
    assert all(r.status is TrialStatus.OK for r in automl.trials_)
    assert len(automl.predict(frame)) == 200


def test_unknown_encoding_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,label\n1,x\n2,y\n")
    with pytest.raises(DataError, match=r"unknown encoding 'klingon-8'.*data\.csv"):
        read_table(path, encoding="klingon-8")


def test_korean_cp949_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "korean.csv"
    path.write_bytes("이름,나이\n김철수,30\n이영희,25\n".encode("cp949"))
    frame = read_table(path)
    assert list(frame.columns) == ["이름", "나이"]
    assert frame["이름"].tolist() == ["김철수", "이영희"]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_wrong_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    source = classification_frame(120)
    path = tmp_path / "data.csv"  # a .csv that is not comma-separated
    source.to_csv(path, sep=delimiter, index=False)
    frame = read_table(path)
    assert list(frame.columns) == list(source.columns)
    assert len(frame) == 120
    automl = _fit(frame)
    assert all(r.status is TrialStatus.OK for r in automl.trials_)


def test_ten_thousand_level_categorical_fits() -> None:
    rng = np.random.default_rng(0)
    n = 12_000
    codes = np.arange(n) % 10_000
    signal = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "code": [f"c{c:05d}" for c in codes],
            "x": signal + rng.normal(scale=0.5, size=n),
            "label": np.where(signal > 0, "yes", "no"),
        }
    )
    automl = _fit(frame, algorithms=CHEAP, split=None, test_ratio=0.0)
    assert automl.profile_.column("code").n_unique == 10_000
    assert "code" in automl.feature_columns_
    assert all(r.status is TrialStatus.OK for r in automl.trials_)
    assert set(automl.predict(frame.head(100))) <= {"no", "yes"}
    unseen = frame.head(5).assign(code="never-seen")
    assert len(automl.predict(unseen)) == 5


def test_unknown_algorithm_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown algorithm 'xgbooost'.*lightgbm"):
        _fit(classification_frame(60), algorithms=["logistic_regression", "xgbooost"])


def test_algorithm_for_another_task_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'linear_regression'.*'binary'"):
        _fit(classification_frame(60), algorithms=["linear_regression"])


def test_unknown_metric_is_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown metric 'accuracyy'.*roc_auc"):
        _fit(classification_frame(60), metric="accuracyy")


def test_metric_of_another_task_is_refused() -> None:
    with pytest.raises(ConfigError, match="'rmse'"):
        _fit(classification_frame(60), metric="rmse")


def test_unknown_task_is_named() -> None:
    with pytest.raises(ConfigError, match=r"task: choose .*got 'ranking'"):
        _fit(classification_frame(60), task="ranking")


def test_task_that_does_not_fit_the_target() -> None:
    with pytest.raises(DataError, match=r"'label' has 2 classes"):
        _fit(classification_frame(60), task=TaskType.MULTICLASS)


def test_missing_target_column_is_named() -> None:
    with pytest.raises(DataError, match="'lable'"):
        AutoML(time_budget=None, max_trials=1).fit(classification_frame(60), target="lable")
