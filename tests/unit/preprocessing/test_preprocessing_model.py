"""TabularModel / make_model_pipeline: row dropping, robustness at predict, sklearn contract."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from preprocessing_frames import mixed_frame, mixed_settings, mixed_target
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    ConfigError,
    DataError,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    SchemaError,
)
from tunelab.preprocessing import make_model_pipeline


class RecordingRegressor(DecisionTreeRegressor):
    """Remembers how many rows it was fitted on."""

    def fit(self, X, y, sample_weight=None, check_input=True):  # type: ignore[override]
        self.fit_rows_ = len(X)
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def numeric_settings(**column: object) -> PreprocessingSettings:
    return PreprocessingSettings(
        columns={
            "x": ColumnSettings(kind=ColumnKind.NUMERIC, **column),  # type: ignore[arg-type]
            "z": ColumnSettings(kind=ColumnKind.NUMERIC),
        }
    )


@pytest.fixture
def outlier_frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, 200)
    x[:5] = [40.0, -35.0, 25.0, 60.0, -50.0]  # far outside both rules
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=200)})
    return frame, x * 2 + frame["z"].to_numpy()


@pytest.mark.parametrize("rule", [OutlierRule.IQR, OutlierRule.ZSCORE])
def test_outliers_dropped_at_fit_only(outlier_frame, rule):
    frame, y = outlier_frame
    model = make_model_pipeline(
        numeric_settings(outliers=rule), RecordingRegressor(), task="regression", flavor="tree"
    ).fit(frame, y)
    assert model.n_rows_dropped_ >= 5
    assert model.estimator_.fit_rows_ == 200 - model.n_rows_dropped_
    assert len(model.predict(frame)) == 200  # never dropped at predict time


def test_iqr_rule_matches_definition(outlier_frame):
    frame, y = outlier_frame
    q1, q3 = np.quantile(frame["x"], [0.25, 0.75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    expected = int(((frame["x"] < low) | (frame["x"] > high)).sum())
    model = make_model_pipeline(
        numeric_settings(outliers=OutlierRule.IQR), Ridge(), task="regression", flavor="linear"
    ).fit(frame, y)
    assert model.n_rows_dropped_ == expected


def test_drop_rows_at_fit_and_median_at_predict(outlier_frame):
    frame, y = outlier_frame
    frame = frame.copy()
    frame.loc[10:29, "x"] = np.nan
    model = make_model_pipeline(
        numeric_settings(imputation=Imputation.DROP_ROWS),
        RecordingRegressor(),
        task="regression",
        flavor="tree",
    ).fit(frame, y)
    assert model.estimator_.fit_rows_ == 180
    transformed = model.transform(frame)
    kept = frame["x"].drop(index=range(10, 30))
    np.testing.assert_allclose(transformed[10:30, 0], kept.median())
    assert len(model.predict(frame)) == 200


def test_all_rows_dropped_is_a_data_error():
    frame = pd.DataFrame({"x": [np.nan, np.nan], "z": [1.0, 2.0]})
    model = make_model_pipeline(
        numeric_settings(imputation=Imputation.DROP_ROWS),
        Ridge(),
        task="regression",
        flavor="linear",
    )
    with pytest.raises(DataError, match="'x'"):
        model.fit(frame, [1.0, 2.0])


@pytest.mark.parametrize("flavor", ["tree", "linear"])
def test_classifier_on_mixed_frame(flavor):
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    estimator = (
        DecisionTreeClassifier(max_depth=4, random_state=0)
        if flavor == "tree"
        else (LogisticRegression(max_iter=500))
    )
    model = make_model_pipeline(mixed_settings(), estimator, task="binary", flavor=flavor)
    model.fit(frame, y)
    assert list(model.classes_) == ["no", "yes"]
    proba = model.predict_proba(frame)
    assert proba.shape == (len(frame), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert model.score(frame, y) > 0.7
    assert list(model.feature_names_in_) == ["num", "skewed", "cat", "flag", "when", "text"]
    assert model.n_features_in_ == 6


def test_predict_tolerates_order_extra_columns_strings_and_unseen():
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    model = make_model_pipeline(
        mixed_settings(), LogisticRegression(max_iter=500), task="binary", flavor="linear"
    ).fit(frame, y)
    expected = model.predict_proba(frame)
    messy = frame[frame.columns[::-1]].assign(extra=np.arange(len(frame)), other="x")
    messy["num"] = frame["num"].map(lambda v: "" if pd.isna(v) else f" {v!r} ")
    np.testing.assert_allclose(model.predict_proba(messy), expected)
    junk = frame.head(4).assign(
        num=["abc", "1e400", None, "3.5"],
        cat="unseen-level",
        flag=["maybe", None, "yes", "no"],
        when="not a date",
    )
    assert np.isfinite(model.predict_proba(junk)).all()


def test_missing_column_at_predict_is_a_schema_error():
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    model = make_model_pipeline(
        mixed_settings(), LogisticRegression(max_iter=300), task="binary", flavor="linear"
    ).fit(frame, y)
    with pytest.raises(SchemaError, match="'cat'"):
        model.predict(frame.drop(columns=["cat"]))


def test_korean_and_reserved_column_names():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "나이": rng.integers(18, 80, 150).astype(float),
            "class": rng.choice(["gold", "silver", "bronze"], 150),
            "지역 코드": rng.choice(["서울", "부산", None], 150),
        }
    )
    y = frame["나이"].to_numpy() / 10 + (frame["class"] == "gold").to_numpy()
    settings = PreprocessingSettings(
        columns={
            "나이": ColumnSettings(kind=ColumnKind.NUMERIC),
            "class": ColumnSettings(kind=ColumnKind.CATEGORICAL),
            "지역 코드": ColumnSettings(kind=ColumnKind.CATEGORICAL),
        }
    )
    for flavor in ("tree", "linear"):
        estimator = Ridge() if flavor == "linear" else DecisionTreeRegressor()
        model = make_model_pipeline(settings, estimator, task="regression", flavor=flavor)
        model.fit(frame, y)
        names = model.preprocessor_.get_feature_names_out()
        assert any("지역 코드_서울" in n for n in names) or flavor == "tree"
        assert np.isfinite(model.predict(frame.iloc[::-1])).all()


def test_ten_thousand_level_categorical():
    rng = np.random.default_rng(4)
    n = 12_000
    levels = np.array([f"user{i}" for i in range(10_000)])
    frame = pd.DataFrame({"uid": levels[rng.integers(0, 10_000, n)], "x": rng.normal(size=n)})
    frame.loc[:9_999, "uid"] = levels  # every level present
    y = (frame["x"] > 0).astype(int).to_numpy()
    settings = PreprocessingSettings(
        columns={
            "uid": ColumnSettings(kind=ColumnKind.CATEGORICAL),
            "x": ColumnSettings(kind=ColumnKind.NUMERIC),
        }
    )
    for flavor in ("tree", "linear"):
        model = make_model_pipeline(settings, LogisticRegression(), task="binary", flavor=flavor)
        model.fit(frame, y)
        assert model.transform(frame.head(3)).shape == (3, 2)  # one column per feature
        new = pd.DataFrame({"uid": ["user-new", "user5"], "x": [0.1, -0.1]})
        assert np.isfinite(model.predict_proba(new)).all()


def test_fit_estimator_callback_gets_transformed_validation():
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    seen = {}

    def fit_estimator(estimator, Xt, yt, Xv, yv):
        seen.update(Xt=Xt.shape, Xv=None if Xv is None else Xv.shape, yv=len(yv))
        return estimator.fit(Xt, yt)

    model = make_model_pipeline(
        mixed_settings(), LogisticRegression(max_iter=300), task="binary", flavor="linear"
    )
    model.fit(
        frame.iloc[:200],
        y[:200],
        eval_frame=frame.iloc[200:],
        eval_target=y[200:],
        fit_estimator=fit_estimator,
    )
    assert seen["Xt"][0] == 200
    assert seen["Xv"] == (40, seen["Xt"][1])
    assert seen["yv"] == 40
    assert len(model.predict(frame)) == len(frame)


def test_sklearn_contract():
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    model = make_model_pipeline(
        mixed_settings(), LogisticRegression(max_iter=300), task="binary", flavor="linear"
    )
    assert is_classifier(model)
    assert not hasattr(model, "preprocessor_")
    assert is_regressor(
        make_model_pipeline(mixed_settings(), Ridge(), task="regression", flavor="tree")
    )
    params = model.get_params()
    assert params["task"] == "binary"
    assert params["estimator__max_iter"] == 300
    scores = cross_val_score(clone(model), frame, y, cv=3)
    assert scores.shape == (3,)
    assert np.isfinite(scores).all()
    assert not hasattr(
        make_model_pipeline(mixed_settings(), Ridge(), task="regression", flavor="tree"),
        "predict_proba",
    )


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="flavor"):
        make_model_pipeline(mixed_settings(), Ridge(), task="regression", flavor="deep")
    with pytest.raises(ConfigError, match="task"):
        make_model_pipeline(mixed_settings(), Ridge(), task="ranking", flavor="tree")
    columns = dict(mixed_settings().columns)
    bad = [
        ("cat", {"imputation": Imputation.MEAN}, "'cat'.*imputation"),
        ("cat", {"outliers": OutlierRule.IQR}, "'cat'.*outlier"),
        ("num", {"imputation": Imputation.CONSTANT, "fill_value": "n/a"}, "'num'.*fill_value"),
        ("text", {"imputation": Imputation.KNN}, "'text'"),
    ]
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    for name, change, message in bad:
        settings = replace(
            mixed_settings(), columns={**columns, name: replace(columns[name], **change)}
        )  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match=message):
            make_model_pipeline(settings, Ridge(), task="binary", flavor="tree").fit(frame, y)
    unused = PreprocessingSettings(columns={"num": ColumnSettings(use=False)})
    with pytest.raises(ConfigError, match="no column"):
        make_model_pipeline(unused, Ridge(), task="binary", flavor="tree").fit(frame, y)
