"""The results page: tables, failures shown, criteria only when tunelab ran."""

from benchmarks.markdown import render, table
from benchmarks.records import RunRecord

META = {
    "title": "T",
    "command": "python benchmarks/run.py --smoke",
    "started": "2026-01-01",
    "finished": "2026-01-01",
    "machine": {"cpu": "CPU X", "cores": 2, "ram_gib": 8.0, "os": "Linux", "python": "3.11.7"},
    "budget": 60,
    "n_jobs": 2,
    "seeds": [0],
    "note": "busy machine",
    "help": {"median_s": 0.21, "tool": "perf_counter"},
}


def run(system: str, dataset: str, score: float | None, status: str = "ok") -> RunRecord:
    return RunRecord(
        system=system,
        dataset=dataset,
        task="binary",
        metric="roc_auc",
        seed=0,
        status=status,
        score=score,
        rows=748,
        scores={"accuracy": 0.5},
        error=None if score is not None else "Traceback: boom in fit",
    )


def test_table_escapes_pipes_and_aligns() -> None:
    text = table(["a", "b"], [["x|y", "1"]], "lr")
    assert text.splitlines() == ["| a | b |", "| --- | ---: |", "| x\\|y | 1 |"]


def test_render_shows_scores_winner_failures_and_criteria() -> None:
    records = [
        run("tunelab", "blood", 0.75),
        run("flaml", "blood", 0.70),
        run("tunelab", "credit", None, "failed"),
        run("flaml", "credit", 0.8),
    ]
    page = render(META, records, ["tunelab", "flaml"])
    assert "CPU X, 2 logical cores" in page
    assert "> busy machine" in page
    assert "| blood | binary | 748 | roc_auc | **0.7500** | 0.7000 | tunelab |" in page
    assert "| credit | binary | 748 | roc_auc | FAILED | **0.8000** | flaml |" in page
    assert "| tunelab | flaml | 1 | 0 | 1 | 50% |" in page
    assert "boom in fit" in page
    assert "win rate vs flaml | >= 60% | 50% (1/2) | **FAIL**" in page
    assert "0.210 s" in page


def test_render_without_tunelab_has_no_criteria() -> None:
    page = render(
        META | {"help": None},
        [run("flaml", "a", 0.7), run("lightgbm_default", "a", 0.6)],
        ["flaml", "lightgbm_default"],
    )
    assert "criteria" not in page
    assert "| flaml | lightgbm_default | 1 | 0 | 0 | 100% |" in page
    assert "## Failures\n\nNone." in page


def test_a_failing_help_command_is_shown() -> None:
    page = render(
        META | {"help": {"error": "ImportError: automl_cmd"}},
        [run("tunelab", "a", 0.7)],
        ["tunelab"],
    )
    assert "`tunelab --help`: FAILED: ImportError: automl_cmd" in page


def test_best_single_section_shows_speed_choice_and_what_it_cost() -> None:
    record = run("tunelab", "car", 0.01)
    record.extras["best_single"] = {
        "family": "catboost",
        "rows_per_s": 120616.6,
        "chosen_cv_score": 0.0213,
        "best_cv_score": 0.0178,
        "choice": "trial 2 (rank 2 of 8 kept): 120,616 rows/s, limit 50,000 rows/s",
        "refit": "refitted trial 2 on 1382 rows",
    }
    page = render(META, [record, run("flaml", "car", 0.02)], ["tunelab", "flaml"])
    section = page.split("## Best single model")[1]
    assert (
        "| car | catboost | 120,617 | 0.0213 | 0.0178 | trial 2 (rank 2 of 8 kept): 120,616 "
        "rows/s, limit 50,000 rows/s | refitted trial 2 on 1382 rows |"
    ) in section
