"""Greedy (Caruana) ensemble selection over out-of-fold predictions."""

from collections.abc import Callable

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tunelab.ensembling import greedy_ensemble_selection


def _neg_mse(y: np.ndarray) -> Callable[[np.ndarray], float]:
    return lambda pred: -float(np.mean((pred - y) ** 2))


def _blend(preds: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    return np.sum([w * p for w, p in zip(weights, preds, strict=True)], axis=0)


def test_picks_the_complementary_model() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    error = rng.normal(size=300)
    preds = [y + error, y - 1.1 * error, y + 1.5 * error, y + 0.9 * error + 0.5]
    single = [_neg_mse(y)(p) for p in preds]
    selection = greedy_ensemble_selection(preds, _neg_mse(y))
    # errors of candidates 0 and 1 cancel: their average beats every single candidate
    assert {0, 1} <= set(selection.members)
    assert selection.score > max(single) + 0.5
    assert selection.weights.sum() == pytest.approx(1.0)
    assert (selection.weights >= 0).all()
    assert selection.score == pytest.approx(_neg_mse(y)(_blend(preds, selection.weights)))
    assert selection.trajectory[0] == pytest.approx(max(single))


@pytest.mark.parametrize("seed", range(8))
def test_never_scores_below_the_best_single_candidate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=200)
    preds = [np.clip(y * rng.uniform(0, 1) + rng.uniform(0, 1, size=200), 0, 1) for _ in range(6)]

    def auc(pred: np.ndarray) -> float:
        return float(roc_auc_score(y, pred))

    selection = greedy_ensemble_selection(preds, auc, n_iterations=15, patience=3)
    assert selection.score >= max(auc(p) for p in preds) - 1e-12
    assert selection.weights.shape == (6,)
    assert selection.weights.sum() == pytest.approx(1.0)
    assert (selection.weights >= 0).all()
    assert selection.score == pytest.approx(auc(_blend(preds, selection.weights)))
    assert len(selection.trajectory) <= 15


def test_a_dominant_candidate_stays_alone() -> None:
    y = np.linspace(0, 1, 50)
    preds = [y.copy(), y + 0.3, y - 0.4]
    selection = greedy_ensemble_selection(preds, _neg_mse(y))
    assert selection.members == [0]
    np.testing.assert_array_equal(selection.weights, [1.0, 0.0, 0.0])
    assert selection.score == 0.0


def test_patience_ends_the_selection_early() -> None:
    y = np.linspace(0, 1, 50)
    preds = [y.copy(), y + 0.3]
    selection = greedy_ensemble_selection(preds, _neg_mse(y), n_iterations=40, patience=2)
    assert len(selection.trajectory) == 3  # the start plus two steps without improvement


def test_probability_matrices_are_blended_row_wise() -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    a = np.eye(3)[[0, 1, 1, 0, 1, 1]] * 0.8 + 0.2 / 3  # wrong on class 2
    b = np.eye(3)[[0, 0, 2, 0, 0, 2]] * 0.8 + 0.2 / 3  # wrong on class 1

    def log_likelihood(proba: np.ndarray) -> float:
        return float(np.mean(np.log(proba[np.arange(len(y)), y])))

    selection = greedy_ensemble_selection([a, b], log_likelihood)
    assert selection.members == [0, 1]
    blended = _blend([a, b], selection.weights)
    np.testing.assert_allclose(blended.sum(axis=1), 1.0)
    assert selection.score > max(log_likelihood(a), log_likelihood(b))


def test_no_candidates_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one candidate"):
        greedy_ensemble_selection([], lambda p: 0.0)


def test_pruning_drops_costly_members_that_add_little() -> None:
    from tunelab.ensembling import prune_selection

    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    good = y + rng.normal(scale=0.5, size=400)
    other = y + rng.normal(scale=0.5, size=400)  # an equally good, independent member
    noise = [y + rng.normal(scale=3.0, size=400) for _ in range(3)]  # each adds ~nothing

    def score(pred: np.ndarray) -> float:
        return -float(np.sqrt(np.mean((pred - y) ** 2)))

    weights = np.array([0.4, 0.4, 0.05, 0.1, 0.05])
    preds = [good, other, *noise]
    full = score(sum(w * p for w, p in zip(weights, preds, strict=True)))
    pruned = prune_selection(preds, weights, score, tolerance=0.01, costs=[1, 1, 5, 5, 5])
    assert set(np.flatnonzero(pruned.weights)) == {0, 1}
    assert pruned.weights.sum() == pytest.approx(1.0)
    assert pruned.score >= full - 0.01
    # with no tolerance nothing that lowers the score is dropped
    strict = prune_selection(preds, weights, score, tolerance=0.0)
    assert strict.score >= full
    assert np.count_nonzero(strict.weights) >= 2
