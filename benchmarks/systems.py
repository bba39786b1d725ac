"""The systems under test, each run as a black box: one child process per fit."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.datasets import REPO_ROOT, Dataset
from benchmarks.metrics import metric_for, score_predictions
from benchmarks.monitor import run_monitored
from benchmarks.records import RunRecord, overrun_pct
from benchmarks.splits import SplitFiles

RUNNERS = Path(__file__).resolve().parent / "runners"
PROJECT_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
FLAML_PYTHON = REPO_ROOT / ".bench" / "flaml-venv" / "bin" / "python"
BASELINE_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class System:
    """How to run one system: interpreter, runner script, whether the budget applies."""

    name: str
    python: Path
    script: str
    budgeted: bool
    packages: tuple[str, ...]

    def hard_timeout(self, budget: float) -> float:
        """Seconds after which the child tree is killed (the run then counts as failed)."""
        return 2 * budget + 120 if self.budgeted else BASELINE_TIMEOUT_S


def _project_python() -> Path:
    return PROJECT_PYTHON if PROJECT_PYTHON.is_file() else Path(sys.executable)


SYSTEMS: dict[str, System] = {
    "tunelab": System(
        "tunelab",
        _project_python(),
        "run_tunelab.py",
        True,
        ("tunelab", "lightgbm", "xgboost-cpu", "catboost", "scikit-learn", "optuna", "pandas"),
    ),
    "flaml": System(
        "flaml",
        FLAML_PYTHON,
        "run_flaml.py",
        True,
        ("flaml", "lightgbm", "xgboost-cpu", "scikit-learn", "pandas"),
    ),
    "lightgbm_default": System(
        "lightgbm_default",
        _project_python(),
        "run_lightgbm.py",
        False,
        ("lightgbm", "scikit-learn", "pandas"),
    ),
}


def get_system(name: str) -> System:
    """The system called ``name``; ValueError lists the known ones."""
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; known: {sorted(SYSTEMS)}")
    return SYSTEMS[name]


def _log_tail(path: Path, lines: int = 40) -> str:
    if not path.is_file():
        return "no log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_system(
    system: System,
    dataset: Dataset,
    split: SplitFiles,
    *,
    seed: int,
    budget: float,
    n_jobs: int,
    work_dir: Path,
) -> RunRecord:
    """Fit ``system`` on the split's train file in a child process and score its predictions.

    Any exception, non-zero exit, timeout or unscorable output gives a failed record with
    the error text; nothing is retried or dropped.
    """
    metric = metric_for(dataset.task).name
    out_dir = work_dir / f"{dataset.name}-s{seed}-{system.name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("result.json", "predictions.parquet"):
        (out_dir / stale).unlink(missing_ok=True)
    spec = {
        "train": str(split.train),
        "test": str(split.test),
        "target": dataset.target,
        "task": dataset.task,
        "metric": metric,
        "budget": budget,
        "n_jobs": n_jobs,
        "seed": seed,
        "out_dir": str(out_dir),
        "packages": list(system.packages),
        "dump_after": (budget + system.hard_timeout(budget)) / 2,
    }
    spec_path = out_dir / "spec.json"
    spec_path.write_text(json.dumps(spec, indent=2))
    record = RunRecord(
        system=system.name,
        dataset=dataset.name,
        task=dataset.task,
        metric=metric,
        seed=seed,
        status="failed",
        rows=dataset.rows,
        n_train=split.n_train,
        n_test=split.n_test,
        budget=budget if system.budgeted else None,
    )
    if not system.python.is_file():
        record.error = f"interpreter not found: {system.python} (see benchmarks/README)"
        return record
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = run_monitored(
        [str(system.python), str(RUNNERS / system.script), str(spec_path)],
        timeout=system.hard_timeout(budget),
        log_path=out_dir / "log.txt",
        env=env,
        cwd=REPO_ROOT,
    )
    record.wall_seconds, record.peak_mb = proc.wall_seconds, proc.peak_mb
    result_path = out_dir / "result.json"
    if result_path.is_file():
        result = json.loads(result_path.read_text())
        record.fit_seconds = result.get("fit_seconds")
        record.versions = result.get("versions", {})
        record.extras = result.get("extras", {})
    fit_or_wall = record.fit_seconds if record.fit_seconds is not None else proc.wall_seconds
    record.overrun_pct = overrun_pct(fit_or_wall, record.budget)
    try:
        train_y = pd.read_parquet(split.train, columns=[dataset.target])[dataset.target]
        test_y = pd.read_parquet(split.test, columns=[dataset.target])[dataset.target]
        labels = sorted(set(train_y.astype("str"))) if dataset.task != "regression" else []
        pred = pd.read_parquet(out_dir / "predictions.parquet")
        record.scores = score_predictions(dataset.task, test_y, pred, labels)
        record.score = record.scores[metric]
    except Exception as exc:  # unscorable output is a failure of the system, with its text
        record.error = f"scoring failed: {exc!r}\n" + _log_tail(out_dir / "log.txt")
    if proc.timed_out:
        record.status = "timeout"
        record.error = f"killed after {proc.wall_seconds:.0f} s\n" + _log_tail(out_dir / "log.txt")
    elif proc.returncode != 0:
        record.error = f"exit code {proc.returncode}\n" + _log_tail(out_dir / "log.txt")
    elif record.score is not None:
        record.status = "ok"
    return record
