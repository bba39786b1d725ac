"""Dataset table parsing, selection and the shared 80/20 split."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from benchmarks.datasets import Dataset, discover, parse_readme_table, select
from benchmarks.splits import make_split, split_indices, split_seed

README = """
| file (.parquet) | task | target | rows |
|---|---|---|---:|
| blood-transfusion | binary | `whether2007` | 748 |
| car | multiclass | `target` | 1,728 |
| house_16H | regression | `target` | 22,784 |
"""


def test_readme_table_gives_task_and_target() -> None:
    assert parse_readme_table(README) == {
        "blood-transfusion": ("binary", "whether2007"),
        "car": ("multiclass", "target"),
        "house_16H": ("regression", "target"),
    }


def _write_folder(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "README.md").write_text(README)
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=30), "whether2007": [0, 1] * 15}).to_parquet(
        tmp_path / "blood-transfusion.parquet"
    )
    pd.DataFrame({"x": range(80), "target": [0, 1, 2, 3] * 20}).to_parquet(
        tmp_path / "car.parquet"
    )
    pd.DataFrame({"x": range(5)}).to_parquet(tmp_path / "undocumented.parquet")
    return tmp_path


def test_discover_and_select(tmp_path: Path) -> None:
    found = discover(_write_folder(tmp_path))
    assert [(d.name, d.rows) for d in found] == [("blood-transfusion", 30), ("car", 80)]
    assert [d.name for d in select(found, "all", max_rows=50)] == ["blood-transfusion"]
    assert [d.name for d in select(found, "car", max_rows=50)] == ["car"]  # named: any size
    with pytest.raises(ValueError, match="nope"):
        select(found, "car,nope")


def test_stratified_split_keeps_class_shares_and_singletons_in_train() -> None:
    y = pd.Series(["a"] * 80 + ["b"] * 19 + ["c"])
    train, test = split_indices(y, stratify=True, seed=1)
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == 100
    assert list(y.iloc[test].value_counts().sort_index()) == [16, 4]  # c stays in train
    assert "c" in set(y.iloc[train])
    again = split_indices(y, stratify=True, seed=1)
    assert np.array_equal(again[1], test)


def test_regression_split_is_20_percent() -> None:
    train, test = split_indices(pd.Series(np.arange(50.0)), stratify=False, seed=3)
    assert (len(train), len(test)) == (40, 10)


def test_make_split_writes_and_reuses_files(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "data")
    ds = next(d for d in discover(folder) if d.name == "car")
    files = make_split(ds, 0, tmp_path / "splits")
    train, test = pd.read_parquet(files.train), pd.read_parquet(files.test)
    assert (len(train), len(test)) == (64, 16)
    assert sorted(test["target"].value_counts()) == [4, 4, 4, 4]
    assert make_split(ds, 0, tmp_path / "splits") == files
    assert split_seed("car", 0) != split_seed("yeast", 0)


def test_missing_target_column_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"x": [1, 2, 3, 4, 5]}).to_parquet(path)
    with pytest.raises(KeyError, match="label"):
        make_split(Dataset("t", "binary", "label", 5, path), 0, tmp_path / "s")
