"""Which families to search by default, given the data size and the time budget."""

from __future__ import annotations

from tunelab.entities import ConfigError, TaskType
from tunelab.models._base import ModelSpec
from tunelab.models._registry import get_model_spec

_CORE_CLASSIFICATION = (
    "lightgbm", "catboost", "xgboost", "extra_trees", "random_forest", "logistic_regression",
    "knn", "mlp", "hist_gradient_boosting",
)  # fmt: skip
_CORE_REGRESSION = (
    "lightgbm", "catboost", "xgboost", "extra_trees", "random_forest", "ridge",
    "knn", "mlp", "hist_gradient_boosting",
)  # fmt: skip
# Slow or rarely best families: worth a try only on small data.
_SMALL_DATA_CLASSIFICATION = ("svc", "gradient_boosting", "linear_svc")
_SMALL_DATA_REGRESSION = ("svr", "gradient_boosting", "elastic_net")
SMALL_DATA_ROWS = 5_000
# Seconds for one LightGBM fit with default parameters, per cell (rows x features): a rough
# figure for 2 cores, early stopping at learning rate 0.05 included.
_SECONDS_PER_CELL = 1e-6
_MIN_UNIT_SECONDS = 0.2
_MIN_FITS = 5  # a family must fit at least this many times within the budget


def estimated_fit_seconds(spec: ModelSpec, n_rows: int, n_features: int) -> float:
    """Very rough time of one fit of ``spec`` with its defaults (for ranking, not promises)."""
    unit = max(_MIN_UNIT_SECONDS, n_rows * max(1, n_features) * _SECONDS_PER_CELL)
    return spec.cost * unit


def families_for_budget(
    task: TaskType, n_rows: int, n_features: int, time_budget: float | None
) -> list[str]:
    """The default family list for a search, strongest first.

    Families whose ``max_rows`` is below ``n_rows`` are skipped; a family is kept only when
    about ``_MIN_FITS`` of its fits fit in ``time_budget`` seconds (None: no limit), and slow
    extras (kernel SVM, classic gradient boosting) are added only for small data. The
    first tree family and a linear baseline are always kept, so the list is never empty.
    """
    if n_rows < 1 or n_features < 1:
        raise ConfigError(f"n_rows and n_features must be >= 1, got {n_rows} and {n_features}")
    if time_budget is not None and time_budget <= 0:
        raise ConfigError(f"time_budget must be positive, got {time_budget}")
    regression = task is TaskType.REGRESSION
    names = list(_CORE_REGRESSION if regression else _CORE_CLASSIFICATION)
    if n_rows <= SMALL_DATA_ROWS:
        names += _SMALL_DATA_REGRESSION if regression else _SMALL_DATA_CLASSIFICATION
    baseline = "ridge" if regression else "logistic_regression"

    chosen: list[str] = []
    for name in names:
        spec = get_model_spec(name)
        if spec.max_rows is not None and n_rows > spec.max_rows:
            continue
        affordable = (
            time_budget is None
            or estimated_fit_seconds(spec, n_rows, n_features) * _MIN_FITS <= time_budget
        )
        if affordable or name in ("lightgbm", baseline):
            chosen.append(name)
    return chosen
