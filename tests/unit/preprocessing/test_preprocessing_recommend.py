"""recommend(): settings derived from a DatasetProfile built by hand."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeRegressor

from tunelab.entities import (
    ColumnKind,
    ColumnProfile,
    DatasetProfile,
    Encoding,
    Imputation,
    OutlierRule,
    Transformation,
)
from tunelab.preprocessing import make_model_pipeline, recommend
from tunelab.preprocessing._recommend import histogram_skewness


def numeric_profile(name, values, n_missing=0):
    values = np.asarray(values, dtype=float)
    counts, edges = np.histogram(values, bins=20)
    n = len(values) + n_missing
    return ColumnProfile(
        name=name,
        kind=ColumnKind.NUMERIC,
        dtype="float64",
        n_missing=n_missing,
        missing_ratio=n_missing / n,
        n_unique=len(np.unique(values)),
        mean=values.mean(),
        std=values.std(),
        min=values.min(),
        max=values.max(),
        histogram=(tuple(edges.tolist()), tuple(counts.tolist())),
    )


def other_profile(name, kind, n_missing=0, n_unique=5, n=1000):
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype="str",
        n_missing=n_missing,
        missing_ratio=n_missing / n,
        n_unique=n_unique,
    )


@pytest.fixture
def profile():
    rng = np.random.default_rng(0)
    columns = (
        other_profile("customer_id", ColumnKind.ID, n_unique=1000),
        numeric_profile("constant", np.ones(1000)),
        other_profile("empty", ColumnKind.NUMERIC, n_missing=1000, n_unique=0),
        numeric_profile("normal", rng.normal(50, 5, 950), n_missing=50),
        numeric_profile("income", rng.lognormal(10, 1.0, 990), n_missing=10),
        numeric_profile("pnl", -rng.lognormal(3, 1.0, 1000)),
        numeric_profile("code", rng.integers(0, 3, 1000)),
        other_profile("city", ColumnKind.CATEGORICAL, n_missing=20),
        other_profile("segment", ColumnKind.CATEGORICAL, n_missing=300),
        other_profile("churned", ColumnKind.BOOLEAN, n_unique=2),
        other_profile("signup", ColumnKind.DATETIME, n_missing=5, n_unique=900),
        other_profile("notes", ColumnKind.TEXT, n_missing=40, n_unique=800),
        numeric_profile("price", rng.normal(100, 10, 1000)),
    )
    return DatasetProfile(n_rows=1000, n_columns=len(columns), columns=columns, target="price")


def test_unusable_columns_are_not_used(profile):
    settings = recommend(profile)
    for name in ("customer_id", "constant", "empty", "price"):
        assert not settings.columns[name].use, name
    assert settings.columns["customer_id"].kind is ColumnKind.ID
    assert set(settings.feature_columns) == {
        "normal",
        "income",
        "pnl",
        "code",
        "city",
        "segment",
        "churned",
        "signup",
        "notes",
    }


def test_explicit_target_overrides_profile(profile):
    settings = recommend(profile, target="normal")
    assert not settings.columns["normal"].use
    assert settings.columns["price"].use


def test_numeric_recommendations(profile):
    cols = recommend(profile).columns
    assert cols["normal"].imputation is Imputation.MEAN
    assert cols["normal"].transformation is Transformation.NONE
    assert cols["income"].imputation is Imputation.MEDIAN  # skewed
    assert cols["income"].transformation is Transformation.LOG  # positive, right-skewed
    assert cols["pnl"].transformation is Transformation.YEO_JOHNSON  # negative values
    assert cols["pnl"].imputation is Imputation.NONE  # nothing missing
    assert cols["code"].transformation is Transformation.NONE  # three levels: a code
    assert all(c.outliers is OutlierRule.NONE for c in cols.values())


def test_other_kinds(profile):
    cols = recommend(profile).columns
    assert cols["city"].imputation is Imputation.MOST_FREQUENT
    assert (cols["segment"].imputation, cols["segment"].fill_value) == (
        Imputation.CONSTANT,
        "unknown",
    )
    assert cols["churned"].imputation is Imputation.NONE
    assert cols["signup"].imputation is Imputation.MEDIAN
    assert cols["notes"].kind is ColumnKind.TEXT
    assert all(c.encoding is Encoding.AUTO for c in cols.values())


def test_whole_table_defaults(profile):
    settings = recommend(profile)
    assert settings.encoding is Encoding.AUTO
    assert settings.onehot_min_frequency == 5
    assert settings.feature_engineering == ()
    assert settings.expand_datetimes


def test_skewness_estimate_has_the_right_sign():
    rng = np.random.default_rng(1)
    assert histogram_skewness(numeric_profile("a", rng.lognormal(0, 1, 5000))) > 2
    assert abs(histogram_skewness(numeric_profile("b", rng.normal(size=5000)))) < 0.3
    assert histogram_skewness(other_profile("c", ColumnKind.NUMERIC)) is None


def test_recommended_settings_build_a_working_model():
    import pandas as pd

    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "id": np.arange(300),
            "x": rng.lognormal(size=300),
            "k": rng.choice(["a", "b"], 300),
            "same": 1.0,
            "y": rng.normal(size=300),
        }
    )
    columns = (
        other_profile("id", ColumnKind.ID, n_unique=300, n=300),
        numeric_profile("x", frame["x"]),
        other_profile("k", ColumnKind.CATEGORICAL, n_unique=2, n=300),
        numeric_profile("same", frame["same"]),
        numeric_profile("y", frame["y"]),
    )
    profile = DatasetProfile(n_rows=300, n_columns=5, columns=columns, target="y")
    settings = recommend(profile)
    model = make_model_pipeline(
        settings, DecisionTreeRegressor(), task="regression", flavor="linear"
    ).fit(frame, frame["y"])
    assert list(model.feature_names_in_) == ["x", "k"]
