"""Clustering AutoML: search algorithms × scaling × dimension reduction × k (see
docs/clustering.md). ML core: imports entities, data, preprocessing and evaluation only."""

from tunelab.clustering._assign import cluster_assignments
from tunelab.clustering._estimator import (
    BirchClustering,
    ClusterModel,
    ClusterPipeline,
    DensityClustering,
)
from tunelab.clustering._families import FAMILIES, ClusterFamily, family_names, get_family
from tunelab.clustering._prepare import REDUCTIONS, SCALINGS, auto_k_range
from tunelab.clustering._report import write_cluster_report
from tunelab.clustering._result import run_summary
from tunelab.clustering._scores import CHOICE_RULE, elbow, internal_scores, label_scores
from tunelab.clustering._search import Candidate, ClusterSearch, feature_frame

__all__ = [
    "CHOICE_RULE",
    "FAMILIES",
    "REDUCTIONS",
    "SCALINGS",
    "BirchClustering",
    "Candidate",
    "ClusterFamily",
    "ClusterModel",
    "ClusterPipeline",
    "ClusterSearch",
    "DensityClustering",
    "auto_k_range",
    "cluster_assignments",
    "elbow",
    "family_names",
    "feature_frame",
    "get_family",
    "internal_scores",
    "label_scores",
    "run_summary",
    "write_cluster_report",
]
