"""The exact Bayes posterior P(M | pre-login observations) under the simulator's own model.

Given gender g and age segment s, each category-bearing anonymous event (a product view, a
category list, a search) draws its category independently from ``category_probabilities(g, s)``;
the product, the keyword and everything else about the session (which sub-states occur, how
many, their timing, registration, login) have the same distribution for both genders. So the
likelihood ratio depends only on the counts of drawn categories, and

    P(obs | g) ∝ sum_s P(s) prod_c p(c | g, s) ** n_c

with the age prior 7/53, 25/53, 21/53. The gender prior comes from the launch structure:
genders alternate F, M, F, ... within a launch of int(5 x factor) users, so P(M) = 4/9.
"""

from fractions import Fraction
from math import floor

import numpy as np
import pandas as pd

from tunelab.recipes.gender import _catalog as cat
from tunelab.recipes.gender import _fsm as fsm


def prior_male() -> float:
    """P(M) of a simulated user: E[#M per launch] / E[#users per launch] over the patterns."""
    total_m = Fraction(0)
    total_n = Fraction(0)
    for lo, hi in fsm.LAUNCH_PATTERNS.values():
        lo_f, hi_f = Fraction(str(lo)), Fraction(str(hi))
        scale = fsm.USERS_PER_LAUNCH
        for k in range(floor(lo_f * scale), floor(hi_f * scale) + 1):
            a = max(lo_f, Fraction(k, scale))
            b = min(hi_f, Fraction(k + 1, scale))
            if b <= a:
                continue
            p = (b - a) / (hi_f - lo_f)
            n = max(1, k)
            total_n += p * n
            total_m += p * (n // 2)
    return float(total_m / total_n)


def log_likelihoods(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log P(counts | F) and log P(counts | M), up to the same multinomial constant.

    Args:
        counts: (n_sessions, 5) category counts in the order of ``CATEGORIES``.
    """
    counts = np.asarray(counts, dtype=float)
    seg_prior = cat.segment_prior()
    out = []
    for g in cat.GENDERS:
        terms = []
        for s in cat.SEGMENTS:
            probs = cat.category_probabilities(g, s)
            logp = np.log(np.array([probs[c] for c in cat.CATEGORIES]))
            terms.append(np.log(seg_prior[s]) + counts @ logp)
        out.append(np.logaddexp.reduce(np.vstack(terms), axis=0))
    return out[0], out[1]


def posterior_male(counts: np.ndarray, prior: float | None = None) -> np.ndarray:
    """P(M | category counts) for each row of ``counts``."""
    p_m = prior_male() if prior is None else prior
    log_f, log_m = log_likelihoods(counts)
    logit = np.log(p_m) - np.log1p(-p_m) + log_m - log_f
    return 1.0 / (1.0 + np.exp(-logit))


def true_counts(sessions: pd.DataFrame) -> np.ndarray:
    """The ``true::<Category>`` columns of the simulator's session table as an array."""
    return sessions[[f"true::{c}" for c in cat.CATEGORIES]].to_numpy(dtype=float)


def bayes_summary(posterior: np.ndarray, y_male: np.ndarray) -> dict[str, float]:
    """Expected accuracy mean(max(p, 1-p)) and the realised accuracy of the Bayes classifier."""
    posterior = np.asarray(posterior, dtype=float)
    y = np.asarray(y_male, dtype=int)
    return {
        "expected_accuracy": float(np.mean(np.maximum(posterior, 1 - posterior))),
        "realised_accuracy": float(np.mean((posterior >= 0.5).astype(int) == y)),
    }
