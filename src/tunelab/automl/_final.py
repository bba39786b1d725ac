"""Turn a finished search into the final model: best fold bag, greedy ensemble or stack."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor

from tunelab.ensembling import (
    FoldBag,
    StackedEnsemble,
    WeightedEnsemble,
    fit_stacker,
    greedy_ensemble_selection,
    prune_selection,
)
from tunelab.evaluation import get_metric
from tunelab.models import get_model_spec
from tunelab.search import SearchProblem, SearchResult, score_prediction

# Members are pruned while the ensemble keeps 90% of its validation gain over the best
# single trial, costliest family first: each member is a bag of k models at prediction
# time and in the bundle.
PRUNE_SHARE = 0.1
# A kept trial whose fold models weigh more than this (pickled MB, measured in the trial)
# is no ensemble candidate unless it is the best trial: it would be kept in memory, saved
# and loaded for a small share of the blend. A bundle stores a forest at about 5 x its
# pickled size (measured: a 5-fold random forest bag of 38.5 MB made a 189 MB .skops file).
MEMBER_MB = 32.0


@dataclass
class FinalModel:
    """The chosen model and how it was made.

    ``oof`` is the chosen model's out-of-fold prediction on the validation rows, and
    ``score`` its natural-direction score there.
    """

    model: Any
    kind: str  # single | ensemble | stacked | constant
    members: dict[int, float] = field(default_factory=dict)  # trial number -> weight
    oof: np.ndarray | None = None
    score: float | None = None
    best_single: Any = None
    best_number: int | None = None
    refitted: tuple[int, ...] = ()  # members refitted on all rows (see _refit_final)


def constant_model(y: np.ndarray, n_classes: int) -> FoldBag:
    """The always-available fallback: class priors, or the mean."""
    dummy = DummyClassifier(strategy="prior") if n_classes else DummyRegressor()
    dummy.fit(np.zeros((len(y), 1)), y)
    return FoldBag([dummy], n_classes=n_classes).fit()


def build_final(
    result: SearchResult,
    y_valid: np.ndarray,
    problem: SearchProblem,
    *,
    ensemble: str,
    y_fit: np.ndarray,
    single_number: int | None = None,
) -> FinalModel:
    """Choose the final model from the kept trials.

    ``ensemble`` is ``"greedy"`` (Caruana selection over out-of-fold predictions, the
    default), ``"stacking"`` (a linear meta-model over the greedy selection's members) or
    ``"none"`` (best single trial). With no successful trial the constant model is used.
    ``single_number`` names the kept trial to use as the best single model (``best_single``;
    default: the best); the final model is chosen from every kept trial all the same.
    """
    n_classes = problem.n_classes
    metric = get_metric(problem.metric, problem.task)
    kept = result.kept
    if not kept or result.best_number is None or result.best_number not in kept:
        return FinalModel(model=constant_model(y_fit, n_classes), kind="constant")

    def bag(number: int) -> FoldBag:
        models = kept[number].models
        assert models
        return FoldBag(list(models), n_classes=n_classes).fit()

    def signed(pred: np.ndarray) -> float:
        value = score_prediction(problem.metric, problem.task, y_valid, pred)
        return metric.signed(value) if np.isfinite(value) else -np.inf

    top = result.best_number
    top_bag = bag(top)
    # the best single model: the best trial, or the one ``single_number`` names
    best = single_number if single_number in kept else top
    best_bag = top_bag if best == top else bag(best)
    single = FinalModel(
        model=top_bag,
        kind="single",
        members={top: 1.0},
        oof=kept[top].oof,
        score=kept[top].score,
        best_single=best_bag,
        best_number=best,
    )
    if ensemble == "none" or len(kept) < 2:
        return single
    numbers = [
        n
        for n in sorted(kept, key=lambda n: -kept[n].details["signed_score"])
        if n == top or float(kept[n].details.get("model_bytes", 0)) <= MEMBER_MB * 2**20
    ]
    if len(numbers) < 2:
        return single
    oofs: list[np.ndarray] = [np.asarray(kept[n].oof) for n in numbers]
    selection = greedy_ensemble_selection(oofs, signed)
    gain = selection.score - selection.trajectory[0]  # over the best single candidate
    if gain > 0 and len(selection.members) > 2:
        selection = prune_selection(
            oofs,
            selection.weights,
            signed,
            tolerance=PRUNE_SHARE * gain,
            # the families' declared cost hints: deterministic (a measured predict time
            # is not, and two seeded runs must give the same ensemble)
            costs=[get_model_spec(kept[n].task.family).cost for n in numbers],
        )
    members = {numbers[i]: float(selection.weights[i]) for i in selection.members}
    if len(members) < 2 and ensemble != "stacking":
        return single
    weights = [members[n] for n in members]
    oof = np.sum([w * np.asarray(kept[n].oof) for n, w in members.items()], axis=0)
    if ensemble == "stacking":
        chosen = list(members) if len(members) >= 2 else numbers[: min(5, len(numbers))]
        meta = fit_stacker(
            [np.asarray(kept[n].oof) for n in chosen],
            y_valid,
            n_classes=n_classes,
            seed=problem.seed,
        )
        stacked = StackedEnsemble([bag(n) for n in chosen], meta, n_classes=n_classes).fit()
        return FinalModel(
            model=stacked,
            kind="stacked",
            members={n: 1.0 / len(chosen) for n in chosen},
            oof=None,
            score=None,
            best_single=best_bag,
            best_number=best,
        )
    model = WeightedEnsemble([bag(n) for n in members], weights, n_classes=n_classes).fit()
    value = score_prediction(problem.metric, problem.task, y_valid, oof)
    return FinalModel(
        model=model,
        kind="ensemble",
        members=members,
        oof=oof,
        score=value,
        best_single=best_bag,
        best_number=best,
    )


def release_unused_models(
    result: SearchResult, final: FinalModel, single_number: int | None = None
) -> list[int]:
    """Drop the fold models of kept trials the final model does not use (its members not
    refitted on all rows, the best single model): after the refits nothing reads them, and
    they would stay in memory until the run ends. Their out-of-fold predictions stay (the
    report scores them). Returns the trials released."""
    used = (set(final.members) - set(final.refitted)) | {
        n for n in (final.best_number, single_number) if n is not None
    }
    released = []
    for number, outcome in result.kept.items():
        if number not in used and outcome.models is not None:
            outcome.models = None
            released.append(number)
    return released
