"""Synthetic rows: a Gaussian copula and a CTGAN-style synthesizer, and how like the real
rows their rows are (torch is imported only when the GAN is fitted)."""

from tunelab.synthetic._augment import (
    SYNTHESIZERS,
    allocate,
    load_synthesizer,
    synthesize_rows,
)
from tunelab.synthetic._copula import GaussianCopulaSynthesizer
from tunelab.synthetic._gan import TabularGANSynthesizer
from tunelab.synthetic._quality import column_distances, discriminator_auc

__all__ = [
    "SYNTHESIZERS",
    "GaussianCopulaSynthesizer",
    "TabularGANSynthesizer",
    "allocate",
    "column_distances",
    "discriminator_auc",
    "load_synthesizer",
    "synthesize_rows",
]
