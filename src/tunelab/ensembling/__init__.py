"""Ensembles of fitted models: fold bags, greedy weighted selection, stacking."""

from tunelab.ensembling._estimators import FoldBag, StackedEnsemble, WeightedEnsemble
from tunelab.ensembling._greedy import (
    EnsembleSelection,
    greedy_ensemble_selection,
    prune_selection,
)
from tunelab.ensembling._stacking import fit_stacker

__all__ = [
    "EnsembleSelection",
    "FoldBag",
    "StackedEnsemble",
    "WeightedEnsemble",
    "fit_stacker",
    "greedy_ensemble_selection",
    "prune_selection",
]
