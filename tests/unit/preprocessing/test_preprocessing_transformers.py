"""Behaviour of the individual transformers."""

import numpy as np
import pandas as pd
import pytest

from tunelab.entities import DataError
from tunelab.preprocessing import (
    BorutaSelector,
    CappedPolynomial,
    CategoricalEncoder,
    DatetimeExpander,
    ModelImputer,
    NumericTransform,
    UnivariateSelector,
)
from tunelab.preprocessing._coerce import learn_boolean_map, to_boolean, to_category, to_float


def test_to_float_parses_strings_and_rejects_junk():
    values = pd.Series(["3.5", " 1,200 ", "abc", None, "inf", "", "-2"], dtype="str")
    np.testing.assert_array_equal(
        to_float(values), [3.5, 1200.0, np.nan, np.nan, np.nan, np.nan, -2.0]
    )
    np.testing.assert_array_equal(to_float(pd.Series([True, False])), [1.0, 0.0])


def test_to_category_agrees_across_types():
    result = to_category(pd.Series([3, 3.0, "3", None], dtype=object))
    assert list(result[:3]) == ["3", "3", "3"]
    assert pd.isna(result[3])
    assert pd.isna(to_category(pd.Series([None, np.nan], dtype=object))).all()


def test_boolean_tokens():
    values = pd.Series(["Yes", "no", None, "Y", "maybe"])
    true, false = learn_boolean_map(values.head(4), "b")
    np.testing.assert_array_equal(to_boolean(values, true, false), [1, 0, np.nan, 1, np.nan])
    true, false = learn_boolean_map(pd.Series(["M", "F", "M"]), "sex")
    np.testing.assert_array_equal(to_boolean(pd.Series(["M", "F"]), true, false), [1, 0])
    with pytest.raises(DataError, match="'sex'"):
        learn_boolean_map(pd.Series(["M", "F", "X"]), "sex")


def test_shifted_transforms_handle_non_positive_values():
    X = np.array([[-3.0], [0.0], [5.0], [np.nan]])
    log = NumericTransform(method="log").fit(X)
    np.testing.assert_allclose(log.transform(X)[:3, 0], np.log1p([0.0, 3.0, 8.0]))
    assert np.isnan(log.transform(X)[3, 0])
    assert log.transform(np.array([[-100.0]]))[0, 0] == 0.0  # clipped to training minimum
    sqrt = NumericTransform(method="sqrt").fit(X)
    np.testing.assert_allclose(sqrt.transform(X)[:3, 0], np.sqrt([0.0, 3.0, 8.0]))
    boxcox = NumericTransform(method="box_cox").fit(X)
    out = boxcox.transform(X)
    assert np.isfinite(out[:3]).all()
    assert np.all(np.diff(out[:3, 0]) > 0)  # monotone
    assert np.isfinite(NumericTransform(method="yeo_johnson").fit(X).transform(X)[:3]).all()


def test_model_imputer_uses_context_columns():
    rng = np.random.default_rng(0)
    context = rng.normal(size=300)
    target = context * 10
    X = np.column_stack([target, context])
    X[:30, 0] = np.nan
    for method in ("knn", "iterative"):
        imputer = ModelImputer(method=method, n_targets=1).fit(X)
        out = imputer.transform(X)
        assert out.shape == (300, 1)
        assert np.abs(out[:30, 0] - context[:30] * 10).mean() < 1.5
        assert list(imputer.get_feature_names_out(["a", "b"])) == ["a"]


def test_univariate_selector_always_keeps_one_feature():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5))
    y = rng.normal(size=100)
    selector = UnivariateSelector(mode="fwe", alpha=1e-12).fit(X, y)
    assert selector.get_support().sum() == 1
    informative = UnivariateSelector(mode="kbest", k=1).fit(X, X[:, 3] + 0.01 * y)
    assert list(informative.get_support(indices=True)) == [3]


def test_boruta_finds_the_informative_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    selector = BorutaSelector(task="binary", max_iter=15, random_state=0).fit(X, y)
    kept = set(selector.get_support(indices=True))
    assert {0, 1} <= kept
    assert len(kept) <= 3
    assert selector.transform(X).shape[1] == len(kept)


def test_capped_polynomial_width_and_names():
    X = np.arange(30, dtype=float).reshape(10, 3) ** np.array([1, 2, 0.5])
    poly = CappedPolynomial(max_input_features=2).fit(X)
    assert poly.transform(X).shape == (10, 4)  # 3 inputs + one product
    assert list(poly.get_feature_names_out(["a", "b", "c"])) == ["a", "b", "c", "a b"]


def test_categorical_encoder_auto_switch_and_unknowns():
    frame = pd.DataFrame(
        {
            "low": np.array(["x", "y", "z"] * 40, dtype=object),
            "high": np.array([f"v{i}" for i in range(120)], dtype=object),
        }
    )
    y = np.arange(120) % 2
    enc = CategoricalEncoder(max_onehot=5, target_type="binary")
    out = enc.fit_transform(frame, y)
    assert enc.plan_ == {"onehot": [0], "ordinal": [], "target": [1]}
    assert out.shape == (120, 4)
    assert list(enc.get_feature_names_out())[:3] == ["low_x", "low_y", "low_z"]
    new = enc.transform(pd.DataFrame({"low": ["w"], "high": ["never"]}))
    np.testing.assert_array_equal(new[0, :3], 0)
    tree = CategoricalEncoder(flavor="tree").fit(frame)
    assert tree.transform(pd.DataFrame({"low": ["w", np.nan], "high": ["v1", "v2"]}))[0, 0] == -1
    assert np.isnan(tree.transform(pd.DataFrame({"low": [np.nan], "high": ["v1"]}))[0, 0])


def test_datetime_expander_values():
    when = pd.DataFrame({"t": pd.to_datetime(["2024-02-29 13:00", None])})
    exp = DatetimeExpander().fit(when)
    out = exp.transform(when)
    np.testing.assert_array_equal(out[0], [2024, 2, 29, 3, 13, 60, 1709211600.0])
    assert np.isnan(out[1]).all()
    assert list(exp.get_feature_names_out())[-1] == "t_epoch"
