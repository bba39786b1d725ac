"""The opening of a search: strong defaults first, then portfolio configurations."""

from typing import Any

from tunelab.models import ModelContext, ModelSpec

# Families whose defaults are tried first, in this order: fast and strong learners early so
# that a good model exists within seconds, then diverse ones that help the ensemble.
OPENING_ORDER = (
    "lightgbm",
    "logistic_regression",
    "ridge",
    "catboost",
    "extra_trees",
    "xgboost",
    "random_forest",
    "hist_gradient_boosting",
    "knn",
    "mlp",
)

PlannedTrial = tuple[str, dict[str, Any], str]


def _opening_rank(spec: ModelSpec) -> tuple[int, float]:
    try:
        return (OPENING_ORDER.index(spec.name), spec.cost)
    except ValueError:
        return (len(OPENING_ORDER), spec.cost)


def plan_opening(specs: list[ModelSpec], ctx: ModelContext) -> list[PlannedTrial]:
    """Every family's default configuration, then portfolio configurations round-robin.

    Portfolio entries equal to the family's default are not repeated.
    """
    ordered = sorted(specs, key=_opening_rank)
    plan: list[PlannedTrial] = []
    portfolios: list[list[dict[str, Any]]] = []
    for spec in ordered:
        default = dict(spec.default_params(ctx))
        plan.append((spec.name, default, "default"))
        portfolios.append([dict(p) for p in spec.portfolio(ctx) if dict(p) != default])
    depth = max((len(p) for p in portfolios), default=0)
    for round_ in range(depth):
        for spec, portfolio in zip(ordered, portfolios, strict=True):
            if round_ < len(portfolio):
                plan.append((spec.name, portfolio[round_], "portfolio"))
    return plan
