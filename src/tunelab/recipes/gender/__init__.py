"""The gender-inference recipe: simulate the lab's clickstream, build features, compare models.

Public API: :func:`simulate`, :func:`build_features`, the mapping helpers, :func:`posterior_male`
and :func:`run_gender_demo` (what ``tunelab demo gender`` runs).
"""

from tunelab.recipes.gender._bayes import bayes_summary, posterior_male, prior_male
from tunelab.recipes.gender._features import FEATURES, build_features, prelogin_rows
from tunelab.recipes.gender._mapping import (
    keyword_category,
    keyword_table,
    load_mappings,
    product_table,
    save_mappings,
    search,
)
from tunelab.recipes.gender._models import LabParams, cross_validate, lab_baseline
from tunelab.recipes.gender._recipe import AutoMLFactory, run_gender_demo
from tunelab.recipes.gender._simulator import LAB_COLUMNS, Simulation, simulate
from tunelab.recipes.gender._tuning import Tuner

__all__ = [
    "FEATURES",
    "LAB_COLUMNS",
    "AutoMLFactory",
    "LabParams",
    "Simulation",
    "Tuner",
    "bayes_summary",
    "build_features",
    "cross_validate",
    "keyword_category",
    "keyword_table",
    "lab_baseline",
    "load_mappings",
    "posterior_male",
    "prelogin_rows",
    "prior_male",
    "product_table",
    "run_gender_demo",
    "save_mappings",
    "search",
    "simulate",
]
