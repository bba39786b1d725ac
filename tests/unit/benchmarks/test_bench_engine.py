"""The engine benchmark's harness: cells, the per-commit store, the targets and the page."""

from pathlib import Path
from typing import Any

import pytest
from benchmarks import engine_bench
from benchmarks.engine_cells import Cell, CellStore, error_of
from benchmarks.engine_page import render
from benchmarks.engine_summary import ERROR_FLOOR, budget_rows, pairs, quality_monotone, targets


def rec(
    system: str,
    dataset: str,
    budget: float,
    error: float | None,
    *,
    seed: int = 0,
    wall: float | None = None,
    pss: float = 300.0,
    fit: float | None = None,
    predict: float = 1.0,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "system": system,
        "dataset": dataset,
        "budget": budget,
        "seed": seed,
        "task": "binary",
        "status": "ok" if error is not None else "failed",
        "error_value": error,
        "automl": {"wall_s": budget if wall is None else wall, "peak_pss_mb": pss},
    }
    if system == "tunelab":
        out["timings"] = {"fit": {"fit": budget * 0.9 if fit is None else fit}}
        out["predict"] = {"wall_s": predict}
    return out


def test_error_is_one_minus_auc_log_loss_or_rmse() -> None:
    assert error_of("binary", {"roc_auc": 0.8}) == pytest.approx(0.2)
    assert error_of("multiclass", {"log_loss": 0.7, "accuracy": 0.9}) == 0.7
    assert error_of("regression", {"rmse": 2.5}) == 2.5
    assert error_of("binary", {}) is None


def test_plan_runs_small_budgets_first_and_more_seeds_where_asked() -> None:
    cells = engine_bench.plan_cells(["a", "b"], [60.0, 10.0], 1, {60.0: 3}, ["tunelab", "flaml"])
    assert cells[0] == Cell("tunelab", "a", 10.0, 0)
    assert cells[1] == Cell("flaml", "a", 10.0, 0)
    assert len([c for c in cells if c.budget == 60.0]) == 2 * 2 * 3
    assert {c.seed for c in cells if c.budget == 10.0} == {0}
    lgbm = engine_bench.plan_cells(["a"], [10.0, 60.0], 1, {60.0: 2}, ["lightgbm_default"])
    assert lgbm == [Cell("lightgbm_default", "a", 0.0, 0), Cell("lightgbm_default", "a", 0.0, 1)]


def test_store_is_per_commit_and_resumable(tmp_path: Path) -> None:
    cell = Cell("tunelab", "credit-g", 10.0, 0)
    store = CellStore(tmp_path, "abc123")
    assert store.get(cell) is None
    store.put(cell, {"status": "ok", "error_value": 0.2})
    assert store.get(cell) == {"status": "ok", "error_value": 0.2, "commit": "abc123"}
    assert CellStore(tmp_path, "abc123").records()[0]["commit"] == "abc123"
    assert CellStore(tmp_path, "def456").get(cell) is None  # another commit runs it again
    assert not list(store.folder.glob("*.tmp"))


def test_ratio_per_budget_counts_a_dataset_once_and_shows_the_seed_spread() -> None:
    records = [
        rec("tunelab", "a", 60.0, 0.09, seed=0),
        rec("flaml", "a", 60.0, 0.10, seed=0),
        rec("tunelab", "a", 60.0, 0.11, seed=1),
        rec("flaml", "a", 60.0, 0.10, seed=1),
        rec("tunelab", "b", 60.0, 0.08, seed=0),
        rec("flaml", "b", 60.0, 0.10, seed=0),
        rec("tunelab", "c", 60.0, None),  # failed: no pair
        rec("flaml", "c", 60.0, 0.10),
    ]
    assert len(pairs(records)) == 3
    (row,) = budget_rows(pairs(records))
    assert row.n_datasets == 2
    assert row.geo_ratio == pytest.approx(((0.9 * 1.1) ** 0.5 * 0.8) ** 0.5)
    assert row.win_rate == pytest.approx(1.0)  # a: sqrt(0.99) < 1, b: 0.8
    assert len(row.seed_ratios) == 2


def test_targets_pass_and_fail() -> None:
    good = [
        rec("tunelab", "a", 60.0, 0.08, wall=62.0),
        rec("flaml", "a", 60.0, 0.10),
        rec("tunelab", "b", 60.0, 0.085, wall=60.0, pss=450.0),
        rec("flaml", "b", 60.0, 0.10),
    ]
    result = {t.name: t for t in targets(good)}
    assert result["error ratio vs FLAML at 60 s (geometric mean)"].passed is True
    assert result["win rate vs FLAML at 60 s"].passed is True
    assert result["whole `tunelab automl` command, start to exit"].passed is True
    assert result["peak PSS of the process tree at 60 s"].passed is True
    assert result["quality does not fall from 60 s to 300 s"].passed is None  # not run
    bad = [
        rec("tunelab", "a", 60.0, 0.12, wall=66.0, pss=1300.0, fit=61.5, predict=2.5),
        rec("flaml", "a", 60.0, 0.10),
    ]
    result = {t.name: t for t in targets(bad)}
    assert not any(t.passed for t in result.values() if t.passed is not None)
    assert "66.0 s at 60 s (a)" in result["whole `tunelab automl` command, start to exit"].measured


def test_quality_falls_beyond_the_seed_spread() -> None:
    records = [
        rec("tunelab", "a", 60.0, 0.10, seed=0),
        rec("tunelab", "a", 60.0, 0.12, seed=1),
        rec("tunelab", "a", 300.0, 0.13),  # worse than 0.12 + spread 0.02? no
        rec("tunelab", "b", 60.0, 0.10),
        rec("tunelab", "b", 300.0, 0.11),  # one seed: no spread, worse
    ]
    assert quality_monotone(records, 60.0, 300.0) == ["b"]


def test_page_has_the_targets_ratio_and_every_run() -> None:
    records = [rec("tunelab", "a", 10.0, 0.09), rec("flaml", "a", 10.0, 0.10)]
    meta = {
        "title": "T",
        "note": "Smoke run",
        "commit": "abc",
        "store": ".bench/engine-cells/abc",
        "machine": "m",
        "load_start": [1.0],
        "command": "python benchmarks/engine_bench.py --smoke",
        "datasets": ["a"],
        "budgets": [10.0],
        "seeds_text": "0..0",
    }
    page = render(meta, records, None)
    assert "**Smoke run**" in page
    assert (
        "| error ratio vs FLAML at 10 s (geometric mean) | <= 0.95 | 0.900 (1 datasets) | PASS |"
        in page
    )
    assert "| 10 s | 1 | 1 | 0.900 | 0.95 | 100% | one seed |" in page
    assert "| a | 10 | 0 | 0.0900 | 0.1000 | 0.900 |" in page


def test_a_perfect_score_counts_in_the_ratio_as_the_error_floor() -> None:
    records = [
        rec("tunelab", "perfect", 10.0, 0.0),
        rec("flaml", "perfect", 10.0, 4.9e-5),  # both under the floor: a tie
        rec("tunelab", "win", 10.0, 0.0),
        rec("flaml", "win", 10.0, 0.002),
        rec("tunelab", "loss", 10.0, 0.05),
        rec("flaml", "loss", 10.0, 0.0),
    ]
    by_dataset = {p.dataset: p.ratio for p in pairs(records)}
    assert by_dataset == {
        "perfect": pytest.approx(1.0),
        "win": pytest.approx(ERROR_FLOOR / 0.002),
        "loss": pytest.approx(0.05 / ERROR_FLOOR),
    }
    (row,) = budget_rows(pairs(records))
    assert row.n_datasets == 3  # none left out of the geometric mean
    assert row.geo_ratio == pytest.approx((1.0 * 0.05 * 500.0) ** (1 / 3))
