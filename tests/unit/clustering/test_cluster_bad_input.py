"""Bad input gives DataError/ConfigError naming the problem."""

import numpy as np
import pandas as pd
import pytest
from cluster_frames import blobs

from tunelab.automl import ClusteringAutoML
from tunelab.clustering import ClusterSearch
from tunelab.data import prepare_target
from tunelab.entities import ConfigError, DataError, SchemaError


def _fit(frame: pd.DataFrame, **kwargs) -> ClusterSearch:
    label = kwargs.pop("label", None)
    return ClusterSearch(time_budget=5, max_candidates=3, **kwargs).fit(frame, label=label)


def test_one_row_is_refused() -> None:
    with pytest.raises(DataError, match=r"1 row\(s\).*at least 3 rows"):
        _fit(pd.DataFrame({"a": [1.0], "b": [2.0]}))


def test_all_constant_columns_are_named() -> None:
    frame = pd.DataFrame({"a": [1.0] * 20, "b": ["x"] * 20})
    with pytest.raises(DataError, match=r"no column can be used.*a \(constant\).*b \(constant\)"):
        _fit(frame)


def test_more_clusters_than_rows_is_refused() -> None:
    frame = blobs(n_rows=10)
    with pytest.raises(ConfigError, match=r"n_clusters=12 .*10 row\(s\)"):
        _fit(frame, n_clusters=12)


@pytest.mark.parametrize("value", ["many", 1, 2.5])
def test_bad_n_clusters_is_named(value) -> None:
    with pytest.raises(ConfigError, match="n_clusters"):
        _fit(blobs(n_rows=30), n_clusters=value)


def test_a_missing_label_column_is_named() -> None:
    with pytest.raises(DataError, match=r"label column 'segment' is not in the table"):
        _fit(blobs(n_rows=30), label="segment")


def test_an_empty_label_column_is_named() -> None:
    frame = blobs(n_rows=30).assign(truth=np.nan)
    with pytest.raises(DataError, match=r"label column 'truth' has no values"):
        _fit(frame, label="truth")


def test_a_table_that_is_not_a_dataframe_is_refused() -> None:
    with pytest.raises(DataError, match="needs a pandas DataFrame, got ndarray"):
        _fit(np.zeros((10, 2)))


def test_unknown_algorithm_scaling_and_reduction_are_named() -> None:
    with pytest.raises(ConfigError, match=r"algorithms: unknown value\(s\) kmedoids"):
        _fit(blobs(n_rows=30), algorithms=["kmeans", "kmedoids"])
    with pytest.raises(ConfigError, match=r"scalings: unknown value\(s\) log"):
        _fit(blobs(n_rows=30), scalings=["log"])
    with pytest.raises(ConfigError, match=r"reductions: unknown value\(s\) tsne"):
        _fit(blobs(n_rows=30), reductions=["tsne"])


def test_a_fixed_k_with_only_density_families_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"n_clusters=3: none of the chosen algorithms"):
        _fit(blobs(n_rows=30), n_clusters=3, algorithms=["dbscan"])


def test_predicting_without_a_used_column_names_it() -> None:
    engine = ClusteringAutoML(time_budget=5, max_candidates=3).fit(blobs(n_rows=60))
    with pytest.raises(SchemaError, match=r"x 3"):
        engine.predict(blobs(n_rows=10).drop(columns=["x 3"]))


def test_supervised_code_refuses_the_clustering_task() -> None:
    frame = pd.DataFrame({"a": np.arange(10.0), "y": [0, 1] * 5})
    with pytest.raises(ConfigError, match="task 'clustering' has no target"):
        prepare_target(frame, "y", "clustering")
