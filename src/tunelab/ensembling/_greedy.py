"""Caruana et al. (2004) greedy ensemble selection with replacement over out-of-fold data."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Scorer = Callable[[np.ndarray], float]
"""Maps a prediction (probabilities or values) to a score where higher is better."""


@dataclass(frozen=True)
class EnsembleSelection:
    """Result of greedy selection.

    Attributes:
        weights: one weight per candidate (sums to 1; zero for unused candidates).
        score: higher-is-better score of the weighted prediction.
        trajectory: the score after each greedy step.
    """

    weights: np.ndarray
    score: float
    trajectory: tuple[float, ...]

    @property
    def members(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.weights > 0)]


def greedy_ensemble_selection(
    predictions: Sequence[np.ndarray],
    scorer: Scorer,
    *,
    n_iterations: int = 40,
    patience: int = 8,
) -> EnsembleSelection:
    """Select candidates greedily (with replacement) to maximise ``scorer`` of their average.

    Starts from the single best candidate; each step adds the candidate whose addition
    scores best; stops after ``n_iterations`` steps or ``patience`` steps without
    improvement, and returns the best prefix seen (so the result never scores below the
    best single candidate).
    """
    if not predictions:
        raise ValueError("greedy_ensemble_selection needs at least one candidate")
    preds = [np.asarray(p, dtype=np.float64) for p in predictions]
    single = np.array([scorer(p) for p in preds])
    first = int(np.nanargmax(single))
    counts = np.zeros(len(preds), dtype=np.int64)
    counts[first] = 1
    running = preds[first].copy()
    best_score = float(single[first])
    best_counts = counts.copy()
    trajectory = [best_score]
    stale = 0
    for step in range(2, n_iterations + 1):
        scores = np.array([scorer((running * (step - 1) + p) / step) for p in preds])
        choice = int(np.nanargmax(scores))
        running = (running * (step - 1) + preds[choice]) / step
        counts[choice] += 1
        trajectory.append(float(scores[choice]))
        if scores[choice] > best_score + 1e-12:
            best_score = float(scores[choice])
            best_counts = counts.copy()
            stale = 0
        else:
            stale += 1
            if stale >= patience:
                break
    weights = best_counts / best_counts.sum()
    return EnsembleSelection(weights=weights, score=best_score, trajectory=tuple(trajectory))


def prune_selection(
    predictions: Sequence[np.ndarray],
    weights: np.ndarray,
    scorer: Scorer,
    *,
    tolerance: float,
    costs: Sequence[float] | None = None,
) -> EnsembleSelection:
    """Drop members whose removal loses at most ``tolerance`` of score, costliest first.

    Greedy selection happily adds members chosen once in many rounds; each one costs a
    full model at prediction time and in the saved bundle. At each step every member is
    tried out (the others' weights renormalised); among removals that keep the score
    within ``tolerance`` of the unpruned ensemble, the member with the highest cost (e.g.
    its predict time; its weight's smallness breaks ties) goes. A removal that improves the
    score raises the bar for the next ones. Stops when no removal fits.
    """
    preds = [np.asarray(p, dtype=np.float64) for p in predictions]
    current = np.asarray(weights, dtype=np.float64).copy()
    cost = np.asarray(costs if costs is not None else np.zeros(len(preds)), dtype=np.float64)

    def score_of(w: np.ndarray) -> float:
        return float(scorer(sum(w[i] * preds[i] for i in np.flatnonzero(w > 0))))

    full = score_of(current)
    best = full
    while np.count_nonzero(current) > 1:
        options = []
        for i in np.flatnonzero(current > 0):
            trial = current.copy()
            trial[i] = 0.0
            trial /= trial.sum()
            value = score_of(trial)
            if np.isfinite(value) and value >= max(full, best) - tolerance:
                options.append((cost[i], -current[i], value, trial))
        if not options:
            break
        _, _, best, current = max(options, key=lambda o: (o[0], o[1]))
    return EnsembleSelection(weights=current, score=best, trajectory=(full, best))
