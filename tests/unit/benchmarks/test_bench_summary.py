"""Winners, win rates, per-system totals and the issue's criteria."""

from typing import Any

import pytest
from benchmarks.records import RunRecord, overrun_pct
from benchmarks.summary import compare, criteria, dataset_rows, system_stats


def rec(
    system: str,
    dataset: str,
    score: float | None,
    *,
    task: str = "binary",
    status: str = "ok",
    seed: int = 0,
    **kw: Any,
) -> RunRecord:
    metric = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}[task]
    return RunRecord(
        system=system,
        dataset=dataset,
        task=task,
        metric=metric,
        seed=seed,
        status=status,
        score=score,
        rows=100,
        **kw,
    )


RECORDS = [
    rec("tunelab", "a", 0.90),
    rec("flaml", "a", 0.85),
    rec("lightgbm_default", "a", 0.80),
    rec("tunelab", "b", 3.0, task="regression"),
    rec("flaml", "b", 2.0, task="regression"),
    rec("lightgbm_default", "b", 4.0, task="regression"),
    rec("tunelab", "c", 0.5, task="multiclass"),
    rec("flaml", "c", 0.5, task="multiclass"),
    rec("lightgbm_default", "c", None, task="multiclass", status="failed"),
    rec("tunelab", "d", None, status="timeout"),
    rec("flaml", "d", 0.7),
]
SYSTEMS = ["tunelab", "flaml", "lightgbm_default"]


def test_winner_respects_metric_direction_and_failures() -> None:
    rows = {r.dataset: r for r in dataset_rows(RECORDS, SYSTEMS)}
    assert rows["a"].winner == "tunelab"
    assert rows["b"].winner == "flaml"  # lower RMSE wins
    assert rows["c"].scores["lightgbm_default"] is None
    assert rows["d"].winner == "flaml"
    assert "lightgbm_default" not in rows["d"].scores  # not attempted there


def test_win_rate_counts_ties_and_failures() -> None:
    rows = dataset_rows(RECORDS, SYSTEMS)
    vs_flaml = compare(rows, "tunelab", "flaml")
    assert (vs_flaml.wins, vs_flaml.ties, vs_flaml.losses) == (1, 1, 2)
    assert vs_flaml.win_rate == pytest.approx(0.25)
    vs_lgbm = compare(rows, "tunelab", "lightgbm_default")
    # a: win, b: win (3 < 4), c: opponent failed -> win; d not attempted by lightgbm.
    assert (vs_lgbm.wins, vs_lgbm.losses, vs_lgbm.n) == (3, 0, 3)


def test_a_failed_seed_fails_the_dataset_and_seeds_are_averaged() -> None:
    recs = [
        rec("x", "a", 0.8, seed=0),
        rec("x", "a", 0.6, seed=1),
        rec("y", "a", 0.9, seed=0),
        rec("y", "a", None, seed=1, status="failed"),
    ]
    (row,) = dataset_rows(recs, ["x", "y"])
    assert row.scores["x"] == pytest.approx(0.7)
    assert row.scores["y"] is None
    assert row.winner == "x"


def test_system_stats_and_overrun() -> None:
    assert overrun_pct(66.0, 60.0) == pytest.approx(10.0)
    assert overrun_pct(30.0, 60.0) == pytest.approx(-50.0)
    assert overrun_pct(5.0, None) is None
    recs = [
        rec(
            "tunelab",
            "a",
            0.9,
            overrun_pct=4.0,
            peak_mb=900.0,
            wall_seconds=70.0,
            extras={
                "throughput": {"rows_per_s": 80_000.0},
                "best_single": {"rows_per_s": 90_000.0},
            },
        ),
        rec(
            "tunelab",
            "b",
            None,
            status="failed",
            overrun_pct=12.5,
            peak_mb=1200.0,
            extras={
                "throughput": {"rows_per_s": 40_000.0},
                "best_single": {"rows_per_s": 45_000.0},
            },
        ),
    ]
    stats = system_stats(recs, "tunelab")
    assert stats["failures"] == 1
    assert stats["max_overrun_pct"] == pytest.approx(12.5)
    assert stats["max_peak_mb"] == pytest.approx(1200.0)
    assert stats["min_rows_per_s"] == pytest.approx(40_000.0)
    assert stats["min_best_single_rows_per_s"] == pytest.approx(45_000.0)
    checks = {name: ok for name, _, _, ok in criteria([], stats, 0.3)}
    assert checks["max fit-time overrun (%)"] is False
    assert checks["failed runs"] is False
    assert checks["peak memory (MB)"] is True
    assert checks["batch predict, best single model (rows/s, min)"] is False
    assert checks["`tunelab --help` (s)"] is True


def test_criteria_win_rate_targets() -> None:
    rows = dataset_rows(RECORDS, SYSTEMS)
    comps = [compare(rows, "tunelab", s) for s in ("flaml", "lightgbm_default")]
    checks = {
        name: ok for name, _, _, ok in criteria(comps, system_stats(RECORDS, "tunelab"), None)
    }
    assert checks["win rate vs flaml"] is False  # 25% < 60%
    assert checks["win rate vs lightgbm_default"] is True  # 100% >= 80%
    assert checks["`tunelab --help` (s)"] is None  # not measured


def test_record_round_trip_ignores_unknown_keys() -> None:
    original = rec("tunelab", "a", 0.9, scores={"roc_auc": 0.9}, extras={"n": 1})
    data = original.to_dict() | {"added_later": True}
    assert RunRecord.from_dict(data) == original
