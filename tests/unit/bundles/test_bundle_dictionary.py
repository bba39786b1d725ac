"""The data dictionary travels in the bundle's manifest (input columns and target only)."""

from pathlib import Path

import pandas as pd
from sklearn.linear_model import LinearRegression

from tunelab.bundles import load_bundle, save_bundle
from tunelab.data import data_dictionary


def test_dictionary_is_sealed_into_the_manifest(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    settings = {
        "a": {"use": True, "description": "age in years"},
        "b": {"meaning": "1 = member", "kind": "numeric"},
        "t": {"description": "price"},
        "dropped": {"description": "not a model input"},
        "c": {"imputation": "median"},
    }
    path = save_bundle(
        tmp_path / "bundle",
        LinearRegression().fit(X, [1.0, 2.0, 3.0, 4.0]),
        task="regression",
        target="t",
        classes=None,
        feature_columns=["a", "b"],
        input_schema=X,
        data_dictionary=data_dictionary(settings),
    )
    bundle = load_bundle(path)  # the checksum covers the dictionary
    assert bundle.data_dictionary == {
        "a": {"description": "age in years"},
        "b": {"meaning": "1 = member"},
        "t": {"description": "price"},
    }
