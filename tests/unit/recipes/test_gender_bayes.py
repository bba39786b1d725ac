"""The Bayes posterior agrees with brute-force sampling of the generative model."""

import numpy as np
import pytest

from tunelab.recipes.gender import _catalog as cat
from tunelab.recipes.gender import bayes_summary, posterior_male, prior_male, simulate
from tunelab.recipes.gender._bayes import true_counts


def test_prior_is_four_ninths_and_matches_the_simulated_users() -> None:
    assert prior_male() == pytest.approx(4 / 9)
    sim = simulate(2500, seed=11)
    share = (sim.sessions["gender"] == "M").mean()
    assert abs(share - 4 / 9) < 4 * np.sqrt(4 / 9 * 5 / 9 / len(sim.sessions)) + 0.02


def test_posterior_matches_monte_carlo_of_the_generative_model() -> None:
    rng = np.random.default_rng(0)
    n, k = 200_000, 3
    male = rng.random(n) < prior_male()
    ages = rng.integers(cat.AGE_MIN, cat.AGE_MAX + 1, size=n)
    counts = np.zeros((n, len(cat.CATEGORIES)), dtype=int)
    for g in cat.GENDERS:
        for seg in cat.SEGMENTS:
            mask = (male == (g == "M")) & np.array([cat.age_segment(a) == seg for a in ages])
            probs = cat.category_probabilities(g, seg)
            p = np.array([probs[c] for c in cat.CATEGORIES])
            counts[mask] = rng.multinomial(k, p, size=int(mask.sum()))
    keys, inverse, sizes = np.unique(counts, axis=0, return_inverse=True, return_counts=True)
    exact = posterior_male(keys.astype(float))
    for i in np.flatnonzero(sizes > 5000):
        empirical = male[inverse.ravel() == i].mean()
        se = np.sqrt(exact[i] * (1 - exact[i]) / sizes[i])
        assert abs(empirical - exact[i]) < 4 * se, keys[i]


def test_no_category_means_the_prior() -> None:
    assert posterior_male(np.zeros((1, 5)))[0] == pytest.approx(4 / 9)
    # a Gaming-heavy session points to a man, a Fashion-heavy one to a woman
    gaming = posterior_male(np.array([[0, 0, 3, 0, 0]], dtype=float))[0]
    fashion = posterior_male(np.array([[0, 0, 0, 0, 3]], dtype=float))[0]
    assert gaming > 0.7 > 0.2 > fashion


def test_bayes_accuracy_on_a_simulation_is_near_the_lab_figure() -> None:
    sim = simulate(3000, seed=5)
    post = posterior_male(true_counts(sim.sessions))
    y = (sim.sessions["gender"] == "M").to_numpy().astype(int)
    summary = bayes_summary(post, y)
    assert 0.62 < summary["expected_accuracy"] < 0.69
    assert abs(summary["realised_accuracy"] - summary["expected_accuracy"]) < 0.04
