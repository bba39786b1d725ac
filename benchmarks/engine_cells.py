"""One cell of the engine benchmark: a system on a dataset split at a budget and seed.

A cell is run as a black box and stored as one JSON file under
``<store>/<commit>/<dataset>-b<budget>-s<seed>-<system>.json``: a long run can stop and
resume (cells already stored at the same commit are skipped), and results of two commits
never mix.

- ``tunelab``: the whole ``tunelab automl`` command, start to exit (``--test-ratio 0``: it
  learns from the same training rows as FLAML), then ``tunelab predict`` of the test rows
  (scored by the harness) and of 2,000 rows (timed), each a monitored child process: wall
  time, peak PSS of the process tree (parent and children apart), and the run's
  ``timings.json`` (how the time was split).
- ``flaml`` / ``lightgbm_default``: the runner scripts of :mod:`benchmarks.systems`
  (FLAML in its own venv), same split, same monitor.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.datasets import REPO_ROOT, Dataset
from benchmarks.machine import load_average
from benchmarks.metrics import metric_for, score_predictions
from benchmarks.monitor import run_monitored
from benchmarks.splits import SplitFiles
from benchmarks.systems import get_system, run_system

TUNELAB = REPO_ROOT / ".venv" / "bin" / "tunelab"
PREDICT_ROWS = 2_000
SYSTEMS = ("tunelab", "flaml", "lightgbm_default")


def commit_key(repo: Path = REPO_ROOT) -> str:
    """The checked-out commit (short hash), ``-dirty`` when ``src/`` has uncommitted changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short=10", "HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return f"{head}-dirty" if dirty else head


def error_of(task: str, scores: dict[str, float]) -> float | None:
    """The issue's test error: binary 1 - AUC, multiclass log-loss, regression RMSE."""
    metric = metric_for(task).name
    value = scores.get(metric)
    if value is None:
        return None
    return 1.0 - value if task == "binary" else value


@dataclasses.dataclass(frozen=True)
class Cell:
    """Which run: system, dataset, budget (seconds) and seed."""

    system: str
    dataset: str
    budget: float
    seed: int

    @property
    def name(self) -> str:
        return f"{self.dataset}-b{self.budget:g}-s{self.seed}-{self.system}"


class CellStore:
    """Per-cell JSON records of one commit under ``root/<commit>/``."""

    def __init__(self, root: Path, commit: str) -> None:
        self.folder = root / commit
        self.commit = commit

    def path(self, cell: Cell) -> Path:
        return self.folder / f"{cell.name}.json"

    def get(self, cell: Cell) -> dict[str, Any] | None:
        """The stored record of ``cell``, None when not run yet at this commit."""
        path = self.path(cell)
        return json.loads(path.read_text()) if path.is_file() else None

    def put(self, cell: Cell, record: dict[str, Any]) -> None:
        """Store ``record`` (written to a temporary file, then renamed: never half a file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path(cell).with_suffix(".tmp")
        tmp.write_text(json.dumps({**record, "commit": self.commit}, indent=2, default=str))
        tmp.replace(self.path(cell))

    def records(self) -> list[dict[str, Any]]:
        """Every stored record of this commit."""
        if not self.folder.is_dir():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.folder.glob("*.json"))]


def _labels(split: SplitFiles, dataset: Dataset) -> tuple[pd.Series, list[str]]:
    test_y = pd.read_parquet(split.test, columns=[dataset.target])[dataset.target]
    if dataset.task == "regression":
        return test_y, []
    train_y = pd.read_parquet(split.train, columns=[dataset.target])[dataset.target]
    return test_y, sorted(set(train_y.astype("str")))


def _predict_rows(test: Path, target: str, out: Path, rows: int | None) -> Path:
    """The test file without its target, repeated/cut to ``rows`` rows (None: as is)."""
    frame = pd.read_parquet(test).drop(columns=[target])
    if rows is not None:
        copies = -(-rows // max(len(frame), 1))
        frame = pd.concat([frame] * copies, ignore_index=True).head(rows)
    frame.to_parquet(out, index=False)
    return out


def _monitored(cmd: list[str], timeout: float, log: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = run_monitored(cmd, timeout=timeout, log_path=log, env=env, cwd=REPO_ROOT)
    return {
        "returncode": proc.returncode,
        "timed_out": proc.timed_out,
        "wall_s": round(proc.wall_seconds, 3),
        "peak_pss_mb": round(proc.peak_mb, 1),
        "peak_parent_mb": round(proc.peak_parent_mb, 1),
        "peak_children_mb": round(proc.peak_children_mb, 1),
        "max_children": proc.max_children,
    }


def _tail(path: Path, lines: int = 30) -> str:
    if not path.is_file():
        return "no log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_tunelab_cli(
    cell: Cell, dataset: Dataset, split: SplitFiles, *, n_jobs: int, work: Path
) -> dict[str, Any]:
    """The whole ``tunelab automl`` command on the split's train file, then ``predict``."""
    out = work / "out"
    metric = metric_for(dataset.task).name
    record: dict[str, Any] = {"status": "failed", "limit_s": round(cell.budget * 1.05 + 2, 2)}
    cmd = [
        str(TUNELAB),
        "automl",
        str(split.train),
        "--target",
        dataset.target,
        "--task",
        dataset.task,
        "--metric",
        metric,
        "--time-budget",
        f"{cell.budget:g}",
        "--seed",
        str(cell.seed),
        "--n-jobs",
        str(n_jobs),
        "--test-ratio",
        "0",
        "--out",
        str(out),
    ]
    record["command"] = cmd
    automl = _monitored(cmd, 2 * cell.budget + 120, work / "automl.log")
    record["automl"] = automl
    timings = out / "timings.json"
    if timings.is_file():
        record["timings"] = json.loads(timings.read_text())
    model = out / "model.skops"  # the fitted model; the bundle's other files are small
    if model.is_file():
        record["bundle_mb"] = round(model.stat().st_size / 2**20, 2)
    board = out / "leaderboard.csv"
    if board.is_file():  # one row per trial, plus the final model's
        record["n_trials"] = max(0, len(pd.read_csv(board)) - 1)
    if automl["returncode"] != 0:
        record["error"] = f"automl exit {automl['returncode']}\n" + _tail(work / "automl.log")
        return record
    predict_cmd = [str(TUNELAB), "predict", str(out)]
    test_rows = _predict_rows(split.test, dataset.target, work / "test-x.parquet", None)
    scored = _monitored(
        [*predict_cmd, str(test_rows), "--out", str(work / "pred.parquet"), "--proba"],
        300,
        work / "predict-test.log",
    )
    timed_rows = _predict_rows(split.test, dataset.target, work / "rows.parquet", PREDICT_ROWS)
    timed = _monitored(
        [*predict_cmd, str(timed_rows), "--out", str(work / "p2000.csv")],
        300,
        work / "predict-2000.log",
    )
    record["predict"] = {**timed, "rows": PREDICT_ROWS}
    try:
        test_y, labels = _labels(split, dataset)
        pred = pd.read_parquet(work / "pred.parquet")
        record["scores"] = score_predictions(dataset.task, test_y, pred, labels)
        record["status"] = "ok"
    except Exception as exc:  # an unscorable output is the system's failure
        record["error"] = f"scoring failed: {exc!r}\n" + _tail(work / "predict-test.log")
    if scored["returncode"] != 0:
        record["status"] = "failed"
        record["error"] = "predict failed\n" + _tail(work / "predict-test.log")
    return record


def run_other(
    cell: Cell, dataset: Dataset, split: SplitFiles, *, n_jobs: int, work: Path
) -> dict[str, Any]:
    """FLAML or default LightGBM through their runner scripts (:mod:`benchmarks.systems`)."""
    rec = run_system(
        get_system(cell.system),
        dataset,
        split,
        seed=cell.seed,
        budget=cell.budget,
        n_jobs=n_jobs,
        work_dir=work,
    )
    return {
        "status": rec.status,
        "scores": rec.scores,
        "fit_s": rec.fit_seconds,
        "automl": {"wall_s": rec.wall_seconds, "peak_pss_mb": rec.peak_mb},
        "versions": rec.versions,
        "error": rec.error,
    }


def run_cell(
    cell: Cell, dataset: Dataset, split: SplitFiles, *, n_jobs: int, work_root: Path
) -> dict[str, Any]:
    """Run one cell; the record says what happened (a failure is a record, not an error)."""
    work = work_root / cell.name
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    load_before = load_average()
    if cell.system == "tunelab":
        record = run_tunelab_cli(cell, dataset, split, n_jobs=n_jobs, work=work)
    else:
        record = run_other(cell, dataset, split, n_jobs=n_jobs, work=work)
    scores = record.get("scores") or {}
    error = error_of(dataset.task, scores) if record.get("status") == "ok" else None
    return {
        **dataclasses.asdict(cell),
        "task": dataset.task,
        "rows": dataset.rows,
        "n_train": split.n_train,
        "n_test": split.n_test,
        "error_value": None if error is None or not np.isfinite(error) else float(error),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "load_before": load_before,
        "load_after": load_average(),
        **record,
    }
