"""One leaf's SHAP values moved from its own output space into probability space.

A leaf explainer answers in the space the estimator computes in: probabilities for
scikit-learn forests (``link = "identity"``), raw scores (log-odds, softmax margins) for
boosted trees and linear models (``link = "logit"``). To combine leaves by the ensemble's
weights, which average *probabilities*, every leaf's values must be in probability space.

For a logit leaf the values of the explained class ``c`` are rescaled row by row (the
"rescale" rule of DeepLIFT): ``phi_p = phi * (p - p0) / (f - b)`` where ``f``/``b`` are the
row's and the expected raw score of ``c`` and ``p``/``p0`` the probabilities they give
(sigmoid, or softmax over every class's score). The rescaled values sum exactly to
``p - p0``, keep each column's sign and share, but are not the Shapley values of the
probability function itself (those need an interventional explainer per row, too slow to
serve). For identity leaves nothing changes: their values are exact in probability space.
"""

from typing import Any

import numpy as np

_TOL = 1e-6


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.asarray(z / z.sum(axis=-1, keepdims=True))


def scores(raw: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``raw`` as (n, features, outputs), the rows' scores (n, outputs) and the expected
    scores (outputs,)."""
    if raw.ndim == 2:
        raw, expected = raw[:, :, None], expected[:1]
    return raw, expected[None, :] + raw.sum(axis=1), expected


def probabilities(f: np.ndarray, link: str) -> np.ndarray:
    """Class probabilities (n, classes) from scores (n, outputs) under ``link``; one logit
    output is the positive class of two."""
    if link == "identity":
        return f
    if f.shape[1] == 1:
        p1 = sigmoid(f[:, 0])
        return np.column_stack([1.0 - p1, p1])
    return softmax(f)


def find_link(raw: np.ndarray, expected: np.ndarray, proba: np.ndarray) -> str | None:
    """``identity`` or ``logit``: the link under which the values' scores give the leaf's
    own probabilities ``proba`` (n, leaf classes); None when neither does."""
    _, f, _ = scores(raw, expected)
    for link in ("identity", "logit"):
        p = probabilities(f, link)
        if p.shape == proba.shape and np.allclose(p, proba, atol=_TOL, rtol=0):
            return link
    return None


def in_probability_space(
    raw: np.ndarray, expected: np.ndarray, link: str, local: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the values of leaf class ``local[i]`` in probability space (n, features),
    the base probability (n,) and the row's probability (n,)."""
    raw3, f, b = scores(raw, expected)
    rows = np.arange(len(raw3))
    p_all = probabilities(f, link)
    p0_all = probabilities(b[None, :], link)[0]
    p, p0 = p_all[rows, local], p0_all[local]
    if raw3.shape[2] == 1 and link == "logit":  # one output: the positive class's score
        sign = np.where(local == 1, 1.0, -1.0)
        phi = raw3[:, :, 0] * sign[:, None]
        delta = (f[:, 0] - b[0]) * sign
    else:
        phi = raw3[rows, :, local]
        delta = f[rows, local] - b[local]
    if link == "identity":
        return phi, p0, p
    small = np.abs(delta) < 1e-12
    slope = np.where(small, p0 * (1.0 - p0), (p - p0) / np.where(small, 1.0, delta))
    return phi * slope[:, None], p0, p


def leaf_weights(node: Any, weight: float = 1.0) -> list[float]:
    """The weight of each leaf (in ``_structure``'s depth-first order) in the root's
    weighted average: the product of the weights on its path."""
    children = getattr(node, "children", None)
    if children is None:
        return [weight]
    out: list[float] = []
    for child, w in zip(children, node.weights, strict=True):
        out += leaf_weights(child, weight * float(w))
    return out
