"""Synthetic rows: a Gaussian copula synthesizer and how like the real rows its rows are."""

from tunelab.synthetic._augment import SYNTHESIZERS, allocate, synthesize_rows
from tunelab.synthetic._copula import GaussianCopulaSynthesizer
from tunelab.synthetic._quality import column_distances, discriminator_auc

__all__ = [
    "SYNTHESIZERS",
    "GaussianCopulaSynthesizer",
    "allocate",
    "column_distances",
    "discriminator_auc",
    "synthesize_rows",
]
