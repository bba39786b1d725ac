"""Stop boosting when a fit's time share runs out, keeping the rounds trained so far.

A trial that would overrun its deadline is killed and wasted; a boosted model stopped a
little early is still a good model. Each factory returns a callback for one library, or
None when no deadline is set. Callbacks are attached for one ``fit`` call only, so they never
end up in a saved model.
"""

import time
from typing import Any


def lightgbm_callback(deadline: float | None) -> Any:
    """A LightGBM callback raising ``EarlyStopException`` once ``deadline`` has passed."""
    if deadline is None:
        return None
    import lightgbm

    def stop_at_deadline(env: Any) -> None:
        if time.monotonic() >= deadline:
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

    stop_at_deadline.order = 40  # type: ignore[attr-defined]  # after early stopping (30)
    return stop_at_deadline


def xgboost_callback(deadline: float | None) -> Any:
    """An XGBoost ``TrainingCallback`` that ends training once ``deadline`` has passed."""
    if deadline is None:
        return None
    import xgboost

    limit_at = deadline

    class StopAtDeadline(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            return time.monotonic() >= limit_at

    return StopAtDeadline()


class CatBoostDeadline:
    """A CatBoost callback object: ``after_iteration`` returns False (stop) past the deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def after_iteration(self, info: Any) -> bool:
        return time.monotonic() < self.deadline


def catboost_callback(deadline: float | None) -> CatBoostDeadline | None:
    return None if deadline is None else CatBoostDeadline(deadline)
