"""The search keeps time for refitting its best trials on all rows."""

import numpy as np
import pandas as pd
import pytest

from tunelab.automl._refit import SAFETY, THREAD_SPEEDUP, expected_refit_seconds, refit_reserve
from tunelab.entities import TrialStatus
from tunelab.search import TrialData, TrialOutcome, TrialTask


def _data(n_rows: int = 300, n_folds: int = 3) -> TrialData:
    X = pd.DataFrame({"x": np.arange(n_rows, dtype=float)})
    chunks = np.array_split(np.arange(n_rows), n_folds)
    folds = tuple((np.setdiff1d(np.arange(n_rows), valid), valid) for valid in chunks)
    return TrialData(X, np.zeros(n_rows), folds)


def _outcome(number: int, fit_time: float, n_models: int = 3) -> TrialOutcome:
    return TrialOutcome(
        TrialTask(number, "x", {}), TrialStatus.OK, models=[object()] * n_models, fit_time=fit_time
    )


def test_expected_refit_time_scales_one_fold_to_all_rows_and_threads() -> None:
    data = _data()  # 3 folds of 200 training rows; 300 rows in all
    one = expected_refit_seconds(_outcome(0, 6.0), data, n_jobs=1)
    assert one == pytest.approx(6.0 / 3 * 300 / 200)
    assert expected_refit_seconds(_outcome(0, 6.0), data, n_jobs=2) == pytest.approx(
        one / THREAD_SPEEDUP
    )


def test_reserve_covers_the_top_trials_up_to_the_cap() -> None:
    data = _data()
    ranked = [_outcome(0, 6.0), _outcome(1, 3.0), _outcome(2, 30.0)]
    each = [expected_refit_seconds(o, data, 1) for o in ranked]
    assert refit_reserve(data, 1, cap=100)(ranked) == pytest.approx(SAFETY * each[0])
    assert refit_reserve(data, 1, cap=100, top=2)(ranked) == pytest.approx(
        SAFETY * (each[0] + each[1])
    )
    assert refit_reserve(data, 1, cap=5, top=3)(ranked) == 5


def test_no_reserve_for_a_model_already_fitted_on_every_row() -> None:
    n_rows = 100
    X = pd.DataFrame({"x": np.arange(n_rows, dtype=float)})
    everything = TrialData(X, np.zeros(n_rows), ((np.arange(n_rows), np.array([], dtype=int)),))
    assert refit_reserve(everything, 1, cap=100)([_outcome(0, 5.0, n_models=1)]) == 0


@pytest.mark.parametrize("name", ["lightgbm", "hist_gradient_boosting"])
def test_refit_params_take_the_mean_rounds_and_the_family_refit_settings(name: str) -> None:
    from types import SimpleNamespace

    from tunelab.automl._refit import refit_params
    from tunelab.entities import TaskType
    from tunelab.models import ModelContext, get_model_spec

    spec = get_model_spec(name)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = (0.5 * X[:, 0] + rng.normal(size=600) > 0).astype(np.int64)
    ctx = ModelContext(TaskType.BINARY, 400, 4, 2)
    folds = []
    for seed in (0, 1):
        order = np.random.default_rng(seed).permutation(600)
        train, valid = order[:400], order[400:]
        params = {spec.rounds_param: 2000, "learning_rate": 0.1}
        est = spec.fit(spec.make(params, ctx), X[train], y[train], X[valid], y[valid])
        folds.append(SimpleNamespace(estimator_=est))
    best = [spec.best_iteration(f.estimator_) for f in folds]
    params = refit_params(name, {spec.rounds_param: 2000, "learning_rate": 0.1}, folds)
    assert params[spec.rounds_param] == round(float(np.mean(best)))
    if name == "hist_gradient_boosting":  # all rows: no internal validation split
        assert params["early_stopping"] is False


def test_a_refit_that_fits_in_the_time_left_runs_on_one_thread() -> None:
    """Trials measure one thread's speed; threads are used only when one would not fit."""
    from tunelab.automl._refit import refit_threads

    data, outcome = _data(), _outcome(0, 6.0)  # one thread: 3 s expected
    single = expected_refit_seconds(outcome, data, 1)
    assert refit_threads(outcome, data, 2, time_left=10 * single) == (1, single)
    assert refit_threads(outcome, data, 2, time_left=single)[0] == 2  # no room for SAFETY
    assert refit_threads(outcome, data, 2, time_left=None)[0] == 2  # no budget: all threads
    assert refit_threads(outcome, data, 1, time_left=single)[0] == 1


def test_refit_best_with_time_to_spare_fits_a_one_thread_model() -> None:
    import time

    from automl_frames import classification_frame

    from tunelab import AutoML
    from tunelab.automl._refit import refit_best
    from tunelab.search import SearchProblem

    automl = AutoML(time_budget=None, max_trials=1, algorithms=["lightgbm"], test_ratio=0)
    automl.fit(classification_frame(200), target="label")
    result = automl.search_
    data = TrialData(automl._X.iloc[automl._fit_rows], automl._y[automl._fit_rows], automl._folds)
    problem = SearchProblem(
        task=automl.task_, metric=automl.metric_, n_classes=2, settings=automl.settings_
    )
    refit = refit_best(result, data, problem, end=time.monotonic() + 60.0, n_jobs=2)
    assert refit.model is not None, refit.note
    assert refit.model.estimator_.get_params()["n_jobs"] == 1
