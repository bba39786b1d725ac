"""Category codes into a PyTorch MLP: index tables, embedding sizes and the wrapping module.

Columns named in ``categorical_features`` hold integer codes: ``0..k-1`` for the categories
seen at fit time, a negative code for a category not seen at fit time and NaN for a missing
value (what the ``"embed"`` preprocessing flavor produces). Each column becomes an index into
a table of ``k + 2`` rows: row 0 is unseen (and missing when no value was missing at fit time),
fixed at zeros, row 1 is missing, rows ``2..k+1`` the categories. An embedded column learns an
``nn.Embedding`` of ``min(max_dim, round(1.6 k^0.56))`` dimensions (fast.ai's rule, ``k``
counting the missing row when it is used); a one-hot column is one-hot encoded inside the
network (row 0 all zeros). ``cat_encoding`` picks: ``"embedding"`` or ``"onehot"`` for every
column, ``"auto"`` one-hot up to ``onehot_max_levels`` levels and embeddings above.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunelab.entities import ConfigError

CAT_ENCODINGS = ("auto", "embedding", "onehot")


def embedding_dim(n_levels: int, max_dim: int) -> int:
    """Embedding width for a column with ``n_levels`` distinct values (fast.ai's rule)."""
    return int(max(1, min(int(max_dim), round(1.6 * max(1, n_levels) ** 0.56))))


def check_codes(X: np.ndarray, columns: list[int]) -> None:
    """Category columns hold whole numbers or NaN."""
    for j in columns:
        col = X[:, j]
        known = col[~np.isnan(col)]
        if known.size and (not np.isfinite(known).all() or np.any(known != np.round(known))):
            raise ConfigError(f"categorical feature {j} holds values that are not integer codes")


def categorical_config(
    X: np.ndarray, columns: list[int], encoding: str, max_dim: int, onehot_max_levels: int
) -> dict[str, Any]:
    """The plain (list and int) description of the category inputs, from training codes."""
    if encoding not in CAT_ENCODINGS:
        raise ConfigError(f"cat_encoding {encoding!r} is not one of {', '.join(CAT_ENCODINGS)}")
    if int(max_dim) < 1:
        raise ConfigError(f"embedding_max_dim must be >= 1, got {max_dim}")
    cards, missing, dims, embedded = [], [], [], []
    for j in columns:
        col = X[:, j]
        known = col[np.isfinite(col) & (col >= 0)]
        k = int(known.max()) + 1 if known.size else 0
        seen_missing = bool(np.isnan(col).any())
        cards.append(k)
        missing.append(seen_missing)
        levels = k + int(seen_missing)
        dims.append(embedding_dim(levels, max_dim))
        if encoding == "auto":
            embedded.append(levels > int(onehot_max_levels))
        else:
            embedded.append(encoding == "embedding")
    return {
        "columns": [int(j) for j in columns],
        "cardinalities": cards,
        "missing": missing,
        "dims": dims,
        "embedded": embedded,
    }


def category_indices(X: np.ndarray, cat: dict[str, Any]) -> np.ndarray:
    """Table rows (as float32) of each category column: 0 unseen, 1 missing, 2.. categories."""
    out = np.zeros((len(X), len(cat["columns"])), dtype=np.float32)
    for i, (j, k, seen_missing) in enumerate(
        zip(cat["columns"], cat["cardinalities"], cat["missing"], strict=True)
    ):
        col = X[:, j]
        with np.errstate(invalid="ignore"):
            known = np.isfinite(col) & (col >= 0) & (col < k)
        rows = np.where(known, np.nan_to_num(col) + 2, 0.0)
        if seen_missing:
            rows = np.where(np.isnan(col), 1.0, rows)
        out[:, i] = rows
    return out


def input_width(n_numeric: int, cat: dict[str, Any]) -> int:
    """Width of the first hidden layer's input: numbers plus embeddings or one-hot blocks."""
    widths = zip(cat["cardinalities"], cat["dims"], cat["embedded"], strict=True)
    return n_numeric + sum(dim if embedded else k + 1 for k, dim, embedded in widths)


def embedding_network(torch: Any, n_numeric: int, cat: dict[str, Any], mlp: Any) -> Any:
    """A module reading ``[numbers | table rows]`` and feeding ``mlp`` (built by the caller)."""
    nn = torch.nn
    functional = torch.nn.functional
    sizes = [k + 2 for k in cat["cardinalities"]]

    class TabularEmbeddingNet(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            # one table per embedded column, in column order
            self.embeddings = nn.ModuleList(
                [
                    nn.Embedding(size, dim, padding_idx=0)
                    for size, dim, embedded in zip(
                        sizes, cat["dims"], cat["embedded"], strict=True
                    )
                    if embedded
                ]
            )
            self.mlp = mlp

        def forward(self, x: Any) -> Any:
            parts = [x[:, :n_numeric]]
            rows = x[:, n_numeric:].long()
            tables = iter(self.embeddings)
            for i, (size, embedded) in enumerate(zip(sizes, cat["embedded"], strict=True)):
                if embedded:
                    parts.append(next(tables)(rows[:, i]))
                else:
                    parts.append(functional.one_hot(rows[:, i], size)[:, 1:].to(x.dtype))
            return self.mlp(torch.cat(parts, dim=1))

    return TabularEmbeddingNet()
