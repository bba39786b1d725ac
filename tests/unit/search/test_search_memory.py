"""What the search keeps in memory: only trials that can enter the kept set send their fold
models and out-of-fold predictions back, and the kept models are capped in megabytes."""

import dataclasses
import json
import os
import sys
from typing import Any

import pytest

from tunelab.entities import TrialStatus
from tunelab.executors import LocalProcessExecutor
from tunelab.search import SearchOptions, SearchProblem, TrialData, TrialTask, run_search
from tunelab.search._callbacks import CallbackList
from tunelab.search._loop import _Search
from tunelab.search._trial import execute_trial

Problem = tuple[TrialData, SearchProblem]
CHEAP = ("logistic_regression", "decision_tree")


def _options(**kwargs: Any) -> SearchOptions:
    base: dict[str, Any] = {"families": CHEAP, "deterministic": True, "max_trials": 6}
    base.update(kwargs)
    return SearchOptions(**base)


def test_trial_below_the_keep_threshold_sends_no_models_nor_oof(binary_problem: Problem) -> None:
    task = TrialTask(0, "logistic_regression", {}, "default")
    kept = execute_trial(task, *binary_problem)
    assert kept.models is not None
    assert kept.oof is not None
    assert kept.score is not None
    assert "not_kept" not in kept.details
    # ROC AUC is maximised: a threshold above the trial's score leaves it out
    above = dataclasses.replace(task, keep_above=kept.score + 0.01)
    dropped = execute_trial(above, *binary_problem)
    assert dropped.status is TrialStatus.OK
    assert dropped.models is None
    assert dropped.oof is None
    assert dropped.details["not_kept"] is True
    assert dropped.score == pytest.approx(kept.score)  # its record is complete all the same
    below = dataclasses.replace(task, keep_above=kept.score - 0.01)
    assert execute_trial(below, *binary_problem).models is not None


def test_full_kept_set_gives_later_trials_the_worst_kept_score(binary_problem: Problem) -> None:
    result = run_search(*binary_problem, _options(max_trials=8, keep_top=2, prune=False))
    assert len(result.kept) == 2
    best_two = sorted((r.score or 0.0 for r in result.records), reverse=True)[:2]
    assert sorted((o.score or 0.0 for o in result.kept.values()), reverse=True) == best_two
    assert all(r.status is TrialStatus.OK for r in result.records)


def test_kept_models_are_capped_in_megabytes_best_always_kept(binary_problem: Problem) -> None:
    result = run_search(*binary_problem, _options(keep_top=8, keep_mb=1e-6))
    assert list(result.kept) == [result.best_number]
    free = run_search(*binary_problem, _options(keep_top=8))
    assert len(free.kept) > 1


def test_preloaded_parent_leaves_trials_nothing_to_import(binary_problem: Problem) -> None:
    """A forked trial that imports modules pays for them inside its own deadline, in every
    child; after ``preload`` the parent has imported everything a trial uses."""
    data, problem = binary_problem
    options = SearchOptions(families=CHEAP)
    search = _Search(data, problem, options, CallbackList([]), None, None, LocalProcessExecutor(1))
    search.preload()
    before = set(sys.modules)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run one trial of each family, report what it imported
        try:
            for family in CHEAP:
                execute_trial(TrialTask(0, family, {}, "default"), data, problem)
            new = sorted(set(sys.modules) - before)
            os.write(write, json.dumps(new).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        imported = json.loads(pipe.read() or '["<child failed>"]')
    os.waitpid(pid, 0)
    assert imported == []
