"""Model-agnostic explanations: sampled Shapley values and a LIME-style local surrogate.

Both call the deployment's output function on one batch of made-up records, built from the
record and ``background`` records drawn from the bundle's reference statistics, and explain
one number per record: the probability of the explained class, or the value.

- ``sampled_shapley``: interventional Shapley values estimated over ``P`` column orders,
  each paired with one background record (antithetic: every order is followed by its
  reverse). Along one order the record's values replace the background's one column at a
  time; a column's value is the mean change it makes. Each walk ends on the record itself,
  so the values add up exactly: ``base_value + sum == output`` with ``base_value`` the mean
  output of the background records. Costs ``P * (columns + 1)`` rows of prediction.
- ``lime``: the method of Ribeiro et al. (2016) for tables, written here (no ``lime``
  package): ``n`` samples keep each column of the record or take a background record's value
  (the keep rate varies per sample), weighted by an exponential kernel on the share of
  replaced columns (width 0.75, as LIME's ``0.75 * sqrt(columns)`` on binary features); a
  weighted ridge regression of the output on the keep-indicators gives each column's
  contribution (the change from a background value to the record's), the intercept is the
  base value, and ``fidelity`` is the surrogate's weighted R². Not additive: the surrogate's
  prediction at the record (``surrogate_output``) approximates ``output``.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

Output = Callable[[list[dict[str, Any]]], np.ndarray]


def _picked(out: np.ndarray, classes: np.ndarray | None, row_class: np.ndarray) -> np.ndarray:
    """One number per output row: the explained class's probability, or the value."""
    out = np.asarray(out, dtype=np.float64)
    if classes is None:
        return out.reshape(len(out))
    return out[np.arange(len(out)), row_class]


def sampled_shapley(
    records: list[dict[str, Any]],
    columns: list[str],
    background: list[dict[str, Any]],
    output: Output,
    classes: np.ndarray | None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, columns) values, (n,) base values and (n,) outputs of ``records``."""
    rng = np.random.default_rng(seed)
    d, walks = len(columns), len(background)
    orders: list[np.ndarray] = []
    for p in range(walks):
        order = rng.permutation(d) if p % 2 == 0 else orders[-1][::-1]
        orders.append(order)
    batch: list[dict[str, Any]] = []
    row_class: list[int] = []
    for i, record in enumerate(records):
        for p, order in enumerate(orders):
            z = dict(background[p])
            batch.append(dict(z))
            for j in order:
                z[columns[j]] = record[columns[j]]
                batch.append(dict(z))
        row_class += [0 if classes is None else int(classes[i])] * (walks * (d + 1))
    f = _picked(output(batch), classes, np.asarray(row_class))
    f = f.reshape(len(records), walks, d + 1)
    values = np.zeros((len(records), d))
    for p, order in enumerate(orders):
        values[:, order] += np.diff(f[:, p, :], axis=1)
    values /= walks
    base = f[:, :, 0].mean(axis=1)
    return values, base, f[:, 0, -1]


def lime(
    record: dict[str, Any],
    columns: list[str],
    background: list[dict[str, Any]],
    output: Output,
    explained_class: int | None,
    n_samples: int = 200,
    seed: int = 0,
    alpha: float = 1.0,
) -> dict[str, Any]:
    """Contributions, intercept, the record's output, the surrogate's output and its
    weighted R² for one record."""
    rng = np.random.default_rng(seed)
    d = len(columns)
    keep = rng.random((n_samples, d)) < rng.uniform(0.0, 1.0, (n_samples, 1))
    keep[0] = True  # the record itself
    donors = rng.integers(0, len(background), n_samples)
    batch = []
    for s in range(n_samples):
        donor = background[donors[s]]
        row = {}
        for j, name in enumerate(columns):
            if keep[s, j] or donor[name] == record[name]:
                keep[s, j] = True
                row[name] = record[name]
            else:
                row[name] = donor[name]
        batch.append(row)
    classes = None if explained_class is None else np.full(n_samples, explained_class)
    f = _picked(
        output(batch), classes, np.zeros(n_samples, dtype=int) if classes is None else classes
    )
    z = keep.astype(np.float64)
    replaced = 1.0 - z.mean(axis=1)
    weight = np.sqrt(np.exp(-(replaced**2) / 0.75**2))
    # weighted ridge with an unpenalised intercept: centre on the weighted means
    sw = weight.sum()
    z_mean, f_mean = (weight @ z) / sw, (weight @ f) / sw
    zc, fc = z - z_mean, f - f_mean
    gram = (zc * weight[:, None]).T @ zc + alpha * np.eye(d)
    coef = np.linalg.solve(gram, (zc * weight[:, None]).T @ fc)
    intercept = float(f_mean - z_mean @ coef)
    fitted = intercept + z @ coef
    total = float(weight @ (f - f_mean) ** 2)
    fidelity = 1.0 - float(weight @ (f - fitted) ** 2) / total if total > 0 else 1.0
    return {
        "contributions": coef,
        "base_value": intercept,
        "output": float(f[0]),
        "surrogate_output": float(intercept + coef.sum()),
        "fidelity": fidelity,
        "samples": n_samples,
    }
