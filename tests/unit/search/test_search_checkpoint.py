"""run_search with a checkpoint: interrupted runs (stop or SIGKILL) resume where they stopped."""

import multiprocessing as mp
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from search_problems import build_problem

from tunelab.entities import ConfigError, TaskType, TrialRecord, TrialStatus
from tunelab.search import SearchOptions, SearchProblem, SearchResult, TrialData, run_search
from tunelab.search import _checkpoint as checkpoint_module
from tunelab.search._checkpoint_io import decode, encode

Problem = tuple[TrialData, SearchProblem]
CHEAP = ("logistic_regression", "decision_tree")  # opening plan: 2 defaults + 1 portfolio


def _options(**kwargs: Any) -> SearchOptions:
    base: dict[str, Any] = {"families": CHEAP, "deterministic": True, "max_trials": 6}
    base.update(kwargs)
    return SearchOptions(**base)


def _rows(records: list[TrialRecord]) -> list[tuple[Any, ...]]:
    return [(r.number, r.family, r.params, r.status, r.score, r.score_std) for r in records]


class Recorder:
    """Remembers what a search announced; can stop it or kill its process at a trial."""

    def __init__(
        self,
        stop: threading.Event | None = None,
        *,
        stop_after: int | None = None,
        kill_at_start: int | None = None,
        kill_after: int | None = None,
    ) -> None:
        self.stop, self.stop_after = stop, stop_after
        self.kill_at_start, self.kill_after = kill_at_start, kill_after
        self.started: list[int] = []
        self.ended: list[int] = []
        self.restored: list[int] = []

    def on_trial_start(self, info: dict[str, Any]) -> None:
        self.started.append(info["number"])
        if info["number"] == self.kill_at_start:
            os.kill(os.getpid(), signal.SIGKILL)  # dies while the trial runs

    def on_trial_end(self, record: TrialRecord) -> None:
        self.ended.append(record.number)
        if len(self.ended) == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.stop is not None and len(self.ended) == self.stop_after:
            self.stop.set()

    def on_trial_restored(self, record: TrialRecord) -> None:
        self.restored.append(record.number)


def _run_killed(target: Callable[[], Any]) -> None:
    """Run ``target`` in a forked process that must die of SIGKILL."""
    process = mp.get_context("fork").Process(target=target)
    process.start()
    process.join(timeout=120)
    assert process.exitcode == -signal.SIGKILL


def _resume(problem: Problem, folder: Path, recorder: Recorder) -> SearchResult:
    return run_search(*problem, _options(), checkpoint_dir=folder, callbacks=[recorder])


def _interrupted(problem: Problem, folder: Path, after: int, **options: Any) -> SearchResult:
    stop = threading.Event()
    return run_search(
        *problem,
        _options(**options),
        checkpoint_dir=folder,
        stop_event=stop,
        callbacks=[Recorder(stop, stop_after=after)],
    )


def test_stopped_search_resumes_without_rerunning_finished_trials(
    binary_problem: Problem, tmp_path: Path
) -> None:
    first = _interrupted(binary_problem, tmp_path, after=2)
    assert first.stop_reason == "stopped by request"
    recorder = Recorder()
    resumed = run_search(
        *binary_problem, _options(), checkpoint_dir=tmp_path, callbacks=[recorder]
    )
    assert resumed.n_restored == 2
    assert recorder.restored == [0, 1]
    assert recorder.started == recorder.ended == [2, 3, 4, 5]  # only new trials run/announced
    assert [r.number for r in resumed.records] == list(range(6))
    assert _rows(resumed.records[:2]) == _rows(first.records)
    assert resumed.stop_reason == "trial budget reached"
    assert resumed.best_number in resumed.kept


def test_resume_inside_the_opening_equals_an_uninterrupted_run(
    binary_problem: Problem, tmp_path: Path
) -> None:
    full = run_search(*binary_problem, _options(max_trials=3))
    _interrupted(binary_problem, tmp_path, after=1, max_trials=3)
    resumed = run_search(*binary_problem, _options(max_trials=3), checkpoint_dir=tmp_path)
    assert _rows(resumed.records) == _rows(full.records)
    assert sorted(resumed.kept) == sorted(full.kept)
    X = binary_problem[0].X
    for number, outcome in full.kept.items():
        restored = resumed.kept[number]
        np.testing.assert_array_equal(restored.oof, outcome.oof)
        assert restored.models is not None
        assert outcome.models is not None
        for mine, theirs in zip(restored.models, outcome.models, strict=True):
            np.testing.assert_array_equal(mine.predict_proba(X), theirs.predict_proba(X))


def test_resumes_from_one_checkpoint_are_deterministic(
    binary_problem: Problem, tmp_path: Path
) -> None:
    _interrupted(binary_problem, tmp_path / "a", after=3)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    one = run_search(*binary_problem, _options(), checkpoint_dir=tmp_path / "a")
    two = run_search(*binary_problem, _options(), checkpoint_dir=tmp_path / "b")
    assert _rows(one.records) == _rows(two.records)
    assert [r.source for r in one.records[3:]] == ["search"] * 3  # the sampler continued
    states = [t.state for t in one.study.trials]
    assert optuna.trial.TrialState.RUNNING not in states
    assert len(one.study.trials) >= 6  # the persisted study kept the first run's trials


def test_sigkill_after_a_trial_loses_nothing_and_duplicates_nothing(
    binary_problem: Problem, tmp_path: Path
) -> None:
    _run_killed(
        lambda: run_search(
            *binary_problem,
            _options(),
            checkpoint_dir=tmp_path,
            callbacks=[Recorder(kill_after=3)],
        )
    )
    recorder = Recorder()
    resumed = _resume(binary_problem, tmp_path, recorder)
    assert recorder.restored == [0, 1, 2]
    assert recorder.ended == [3, 4, 5]
    assert sorted(r.number for r in resumed.records) == list(range(6))


def test_sigkill_during_a_trial_reruns_it_under_its_number(
    binary_problem: Problem, tmp_path: Path
) -> None:
    _run_killed(
        lambda: run_search(
            *binary_problem,
            _options(),
            checkpoint_dir=tmp_path,
            callbacks=[Recorder(kill_at_start=2)],
        )
    )
    assert (tmp_path / "running" / "000002.json").exists()
    recorder = Recorder()
    resumed = _resume(binary_problem, tmp_path, recorder)
    assert recorder.restored == [0, 1]
    assert recorder.started[0] == 2  # the interrupted trial goes first, same number
    numbers = [r.number for r in resumed.records]
    assert sorted(numbers) == list(range(6))
    assert len(set(numbers)) == 6
    assert all(r.status is TrialStatus.OK for r in resumed.records[:3])
    assert not list((tmp_path / "running").iterdir())


def test_a_trial_interrupted_twice_is_recorded_as_failed(
    binary_problem: Problem, tmp_path: Path
) -> None:
    for _ in range(2):
        _run_killed(
            lambda: run_search(
                *binary_problem,
                _options(),
                checkpoint_dir=tmp_path,
                callbacks=[Recorder(kill_at_start=2)],
            )
        )
    recorder = Recorder()
    resumed = _resume(binary_problem, tmp_path, recorder)
    failed = next(r for r in resumed.records if r.number == 2)
    assert failed.status is TrialStatus.FAILED
    assert "interrupted 2 times" in failed.reason
    assert recorder.ended[0] == 2  # announced once, as a new (failed) row
    assert sorted(r.number for r in resumed.records) == list(range(6))


def test_other_data_or_settings_are_refused(binary_problem: Problem, tmp_path: Path) -> None:
    _interrupted(binary_problem, tmp_path, after=1)
    other_data, problem = build_problem(TaskType.BINARY, seed=1)
    with pytest.raises(ConfigError, match="other data"):
        run_search(other_data, problem, _options(), checkpoint_dir=tmp_path)
    with pytest.raises(ConfigError, match="other algorithms"):
        run_search(*binary_problem, _options(families=("ridge",)), checkpoint_dir=tmp_path)


def test_torn_writes_and_leftovers_of_a_killed_writer_are_tolerated(
    binary_problem: Problem, tmp_path: Path
) -> None:
    _interrupted(binary_problem, tmp_path, after=2)
    with (tmp_path / "study.journal").open("ab") as journal:
        journal.write(b'{"op_code": 4, "worker_id": "x", "trial_')  # a kill mid-append
    (tmp_path / "study.journal.lock").symlink_to(tmp_path / "study.journal")
    (tmp_path / "trials" / ".tmp-abc-000002.json").write_text('{"rec')
    (tmp_path / "kept" / ".tmp-abc-000002").mkdir()
    resumed = run_search(*binary_problem, _options(), checkpoint_dir=tmp_path)
    assert resumed.n_restored == 2
    assert sorted(r.number for r in resumed.records) == list(range(6))
    assert not list(tmp_path.glob("**/.tmp-*"))


def test_time_used_before_counts_against_the_deadline(
    binary_problem: Problem, tmp_path: Path
) -> None:
    _interrupted(binary_problem, tmp_path, after=2)
    manifest = tmp_path / "manifest.json"
    raw = manifest.read_text()
    assert '"elapsed":' in raw
    # pretend the first attempt used an hour: a 10-minute deadline has nothing left
    manifest.write_text(raw.replace('"elapsed":', '"elapsed":3600.0,"was":'))
    import time

    deadline = time.monotonic() + 600
    resumed = run_search(
        *binary_problem, _options(max_trials=None, deadline=deadline), checkpoint_dir=tmp_path
    )
    assert [r.number for r in resumed.records] == [0, 1]
    assert resumed.stop_reason == "time budget reached"
    assert resumed.best_number in resumed.kept  # the final model can still be built


def test_a_folder_in_use_by_a_live_search_is_refused(
    binary_problem: Problem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = mp.get_context("fork")
    locked, release = ctx.Event(), ctx.Event()

    def hold() -> None:
        holder = checkpoint_module.SearchCheckpoint(tmp_path)
        holder.open({"data": "x"})
        locked.set()
        release.wait(30)

    process = ctx.Process(target=hold)
    process.start()
    try:
        assert locked.wait(30)
        monkeypatch.setattr(checkpoint_module, "LOCK_TIMEOUT", 0.3)
        with pytest.raises(ConfigError, match="in use"):
            run_search(*binary_problem, _options(), checkpoint_dir=tmp_path)
    finally:
        release.set()
        process.join(timeout=30)


def test_codec_round_trips_what_json_would_change() -> None:
    value = {"layers": (64, 32), "alpha": float("nan"), "n": np.int64(3), "w": [np.float32(0.5)]}
    back = decode(encode(value))
    assert back["layers"] == (64, 32)
    assert isinstance(back["layers"], tuple)
    assert np.isnan(back["alpha"])
    assert back["n"] == 3
    assert type(back["n"]) is int
    assert back["w"] == [0.5]


def test_checkpointed_models_load_only_types_on_the_exact_list(tmp_path: Path) -> None:
    """A checkpoint may come back from a shared artifact store: a tunelab type that is not on
    the exact list (no prefix passes) is refused, and so is a function such as numpy.savetxt."""
    from tunelab.models import ModelContext
    from tunelab.search._checkpoint_io import load_models, save_models

    path = tmp_path / "models.skops"
    save_models([ModelContext(task=TaskType.BINARY, n_rows=1, n_features=1, n_classes=2)], path)
    with pytest.raises(ConfigError, match=r"tunelab\.models\._base\.ModelContext"):
        load_models(path)
    save_models([np.savetxt], path)
    with pytest.raises(ConfigError, match=r"numpy\.savetxt"):
        load_models(path)
