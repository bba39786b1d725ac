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
