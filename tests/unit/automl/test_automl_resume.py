"""AutoML(checkpoint_dir=...): a fit killed with SIGKILL (or stopped) resumes on the next fit."""

import json
import multiprocessing as mp
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame

from tunelab import AutoML
from tunelab.entities import ConfigError, TrialRecord

TIMING = ["fit_time", "predict_time"]


class RowStore:
    """A stand-in for the platform's store: appends every announced trial to a file."""

    def __init__(self, path: Path, *, kill_after: int | None = None) -> None:
        self.path, self.kill_after = path, kill_after
        self.restored: list[int] = []
        self.automl: AutoML | None = None
        self.stop_after: int | None = None

    def on_trial_end(self, record: TrialRecord) -> None:
        row = {"number": record.number, "family": record.family, "score": record.score}
        with self.path.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        seen = len(self.rows())
        if seen == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.automl is not None and seen == self.stop_after:
            self.automl.stop()

    def on_trial_restored(self, record: TrialRecord) -> None:
        self.restored.append(record.number)

    def rows(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]


def _automl(folder: Path, store: RowStore, **kwargs: Any) -> AutoML:
    settings: dict[str, Any] = {"time_budget": None, "max_trials": 6, "algorithms": CHEAP}
    settings.update(kwargs)
    return AutoML(checkpoint_dir=folder, callbacks=[store], **settings)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return classification_frame()


def test_a_fit_killed_with_sigkill_resumes_with_a_complete_leaderboard(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    folder, rows = tmp_path / "checkpoint", tmp_path / "rows.jsonl"

    def doomed() -> None:
        _automl(folder, RowStore(rows, kill_after=3)).fit(frame, target="label")

    process = mp.get_context("fork").Process(target=doomed)
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -signal.SIGKILL
    before = RowStore(rows).rows()
    assert [r["number"] for r in before] == [0, 1, 2]

    store = RowStore(rows)
    automl = _automl(folder, store).fit(frame, target="label")
    assert automl.search_.n_restored == 3
    assert store.restored == [0, 1, 2]
    announced = [r["number"] for r in store.rows()]
    assert announced == list(range(6))  # each trial announced once: no duplicate rows
    numbers = [t.number for t in automl.trials_]
    assert sorted(numbers) == list(range(6))
    by_number = {t.number: t for t in automl.trials_}
    for row in before:  # nothing the killed fit finished is lost or changed
        assert by_number[row["number"]].family == row["family"]
        assert by_number[row["number"]].score == row["score"]
    board = automl.leaderboard()
    trials = board.loc[board["source"] != "ensemble", "trial"]
    assert sorted(trials.astype(int)) == list(range(6))
    assert automl.predict(frame.head(20)).shape == (20,)


def test_a_stopped_fit_resumed_equals_an_uninterrupted_fit(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    settings = {"max_trials": 3, "ensemble": "greedy"}  # the opening plan of CHEAP
    full = AutoML(time_budget=None, algorithms=CHEAP, **settings).fit(frame, target="label")
    store = RowStore(tmp_path / "rows.jsonl")
    first = _automl(tmp_path / "checkpoint", store, **settings)
    store.automl, store.stop_after = first, 1
    first.fit(frame, target="label")
    assert first.stop_reason_ == "stopped by request"
    assert len(first.trials_) == 1
    resumed = _automl(tmp_path / "checkpoint", RowStore(tmp_path / "rows.jsonl"), **settings)
    resumed.fit(frame, target="label")
    assert resumed.search_.n_restored == 1
    pd.testing.assert_frame_equal(
        resumed.leaderboard().drop(columns=TIMING), full.leaderboard().drop(columns=TIMING)
    )
    # the restored fold models are the ones the first fit trained: same final predictions
    np.testing.assert_array_equal(
        resumed.predict_proba(frame).to_numpy(), full.predict_proba(frame).to_numpy()
    )


def test_a_checkpoint_of_other_data_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    store = RowStore(tmp_path / "rows.jsonl")
    _automl(tmp_path / "checkpoint", store, max_trials=1).fit(frame, target="label")
    other = classification_frame(seed=3)
    with pytest.raises(ConfigError, match=r"checkpoint_dir .* other data"):
        _automl(tmp_path / "checkpoint", store, max_trials=1).fit(other, target="label")


def test_a_finished_checkpoint_refits_without_new_trials(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    first = _automl(tmp_path / "c", RowStore(tmp_path / "a.jsonl"), max_trials=2)
    first.fit(frame, target="label")
    store = RowStore(tmp_path / "b.jsonl")
    again = _automl(tmp_path / "c", store, max_trials=2).fit(frame, target="label")
    assert store.rows() == []
    assert store.restored == [0, 1]
    assert [t.score for t in again.trials_] == [t.score for t in first.trials_]
