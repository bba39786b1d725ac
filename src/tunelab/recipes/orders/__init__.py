"""The orders recipe: the course diary's view-count → quantity pipeline, done right.

Public API: :func:`generate` (the diary's seeded data generator), the table steps, the
diary's 10-MLP ensemble as one pipeline (:func:`fit_ensemble`) and :func:`run_orders_demo`
(what ``tunelab demo orders`` runs).
"""

from tunelab.recipes.orders._generator import OrdersData, generate
from tunelab.recipes.orders._model import diary_network, fit_ensemble
from tunelab.recipes.orders._recipe import run_orders_demo
from tunelab.recipes.orders._tables import drop_duplicate_pairs, fill_missing_views, merge

__all__ = [
    "OrdersData",
    "diary_network",
    "drop_duplicate_pairs",
    "fill_missing_views",
    "fit_ensemble",
    "generate",
    "merge",
    "run_orders_demo",
]
