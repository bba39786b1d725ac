"""The final model is built from kept trials small enough to carry, and the fold models
nothing uses any more are released."""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyRegressor

from tunelab.automl._final import MEMBER_MB, build_final, release_unused_models
from tunelab.data import profile_dataset
from tunelab.entities import TaskType, TrialStatus
from tunelab.preprocessing import recommend
from tunelab.search import SearchProblem, SearchResult, TrialTask
from tunelab.search._trial import TrialOutcome

RNG = np.random.default_rng(0)
Y = RNG.normal(size=200)


def _outcome(number: int, noise_seed: int, megabytes: float) -> TrialOutcome:
    noise = np.random.default_rng(noise_seed).normal(scale=0.5, size=len(Y))
    oof = Y + noise
    rmse = float(np.sqrt(np.mean(noise**2)))
    model = DummyRegressor().fit(np.zeros((len(Y), 1)), Y)
    return TrialOutcome(
        task=TrialTask(number, "ridge", {}, "default"),
        status=TrialStatus.OK,
        fold_scores=[rmse],
        oof=oof,
        models=[model],
        details={"signed_score": -rmse, "model_bytes": megabytes * 2**20},
    )


def _result(*outcomes: TrialOutcome) -> SearchResult:
    kept = {o.task.number: o for o in outcomes}
    best = max(kept, key=lambda n: kept[n].details["signed_score"])
    study: Any = None
    return SearchResult([], kept, best, "trial budget reached", study)


def _problem() -> SearchProblem:
    frame = pd.DataFrame({"x": RNG.normal(size=len(Y)), "target": Y})
    settings = recommend(
        profile_dataset(frame, target="target", task=TaskType.REGRESSION), "target"
    )
    return SearchProblem(task=TaskType.REGRESSION, metric="rmse", n_classes=0, settings=settings)


def _final(big: float) -> Any:
    result = _result(_outcome(0, 1, 1.0), _outcome(1, 2, big))
    return result, build_final(result, Y, _problem(), ensemble="greedy", y_fit=Y)


def test_small_trials_blend_a_heavy_one_is_left_out() -> None:
    _, blended = _final(1.0)
    assert blended.kind == "ensemble"
    assert set(blended.members) == {0, 1}
    result, alone = _final(MEMBER_MB + 1)
    assert alone.kind == "single"
    assert list(alone.members) == [result.best_number]


def test_models_the_final_model_does_not_use_are_released() -> None:
    result, alone = _final(MEMBER_MB + 1)
    other = next(n for n in result.kept if n != alone.best_number)
    assert release_unused_models(result, alone) == [other]
    assert result.kept[other].models is None
    assert result.kept[other].oof is not None  # the report still scores it
    assert result.kept[alone.best_number].models is not None
