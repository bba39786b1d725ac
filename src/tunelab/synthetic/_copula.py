"""A Gaussian copula synthesizer: empirical marginals joined by a normal-score correlation."""

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from sklearn.base import BaseEstimator

from tunelab.entities import DataError
from tunelab.synthetic._marginals import Marginal, fit_marginal, sampling_seed

# eigenvalues of the correlation matrix are kept at least this large (positive definite)
MIN_EIGENVALUE = 1e-6


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` made positive definite with a unit diagonal (eigenvalues clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    fixed = (vectors * np.maximum(values, MIN_EIGENVALUE)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return np.asarray(fixed / np.outer(scale, scale))


class GaussianCopulaSynthesizer(BaseEstimator):
    """Draw rows "with a distribution like the original" from a Gaussian copula.

    ``fit(X)`` learns each column's marginal (see ``tunelab.synthetic._marginals``) and the
    correlation matrix of the rows' normal scores; ``sample(n)`` draws correlated normals,
    maps them to uniforms and back through each marginal. Every column keeps its observed
    range and categories, and pairwise rank correlations are approximately kept; relations
    a Gaussian dependence cannot express (interactions, multimodal joints) are not.

    Constant columns stay constant and take no part in the correlation. One row gives
    copies of that row. Deterministic: ``random_state`` seeds the fit (the jitter of the
    categorical scores) and every ``sample`` call that is given no seed of its own.
    """

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None) -> "GaussianCopulaSynthesizer":
        frame = pd.DataFrame(X)
        if len(frame) == 0 or frame.shape[1] == 0:
            raise DataError("the synthesizer needs at least one row and one column")
        rng = np.random.default_rng(self.random_state)
        self.columns_: list[Any] = list(frame.columns)
        self.marginals_: list[Marginal] = [fit_marginal(frame[c]) for c in frame.columns]
        scores = np.column_stack(
            [
                m.to_normal(frame[c], rng)
                for m, c in zip(self.marginals_, frame.columns, strict=True)
            ]
        )
        d = len(self.columns_)
        varying = np.array(
            [not m.constant and np.std(scores[:, j]) > 0 for j, m in enumerate(self.marginals_)]
        )
        correlation = np.eye(d)
        if varying.sum() >= 2 and len(frame) >= 2:
            sub = np.corrcoef(scores[:, varying], rowvar=False)
            correlation[np.ix_(varying, varying)] = np.nan_to_num(sub)
        self.correlation_: np.ndarray = _nearest_correlation(correlation)
        values, vectors = np.linalg.eigh(self.correlation_)
        self._factor = vectors * np.sqrt(np.maximum(values, 0.0))
        self.n_rows_seen_: int = len(frame)
        return self

    def sample(self, n_rows: int, random_state: int | None = None) -> pd.DataFrame:
        """``n_rows`` synthetic rows with the fitted columns and dtypes."""
        seed = sampling_seed(self, n_rows, random_state)
        rng = np.random.default_rng(seed)
        normals = rng.standard_normal((int(n_rows), len(self.columns_))) @ self._factor.T
        uniforms = ndtr(normals)
        pairs = zip(self.columns_, self.marginals_, strict=True)
        columns = {c: m.from_uniform(uniforms[:, j], rng) for j, (c, m) in enumerate(pairs)}
        return pd.DataFrame(columns)
