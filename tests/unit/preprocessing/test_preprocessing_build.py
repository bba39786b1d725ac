"""build_preprocessor: every option gives a finite matrix of the right shape."""

from dataclasses import replace

import numpy as np
import pytest
from preprocessing_frames import N_ROWS, mixed_settings

from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    Encoding,
    FeatureEngineering,
    Imputation,
    PreprocessingSettings,
    Scaling,
    Transformation,
)
from tunelab.preprocessing import build_preprocessor
from tunelab.preprocessing._settings import ALLOWED_IMPUTATIONS

FLAVORS = ("tree", "linear")


def with_column(settings: PreprocessingSettings, name: str, **changes: object):
    columns = dict(settings.columns)
    columns[name] = replace(columns[name], **changes)  # type: ignore[arg-type]
    return replace(settings, columns=columns)


def fit_out(settings, frame, target, flavor, task="binary"):
    pre = build_preprocessor(settings, task=task, flavor=flavor)
    out = pre.fit_transform(frame, target)
    names = pre.get_feature_names_out()
    assert out.dtype == np.float64
    assert out.shape == (len(frame), len(names))
    return pre, out, list(names)


def col(names, column):
    """Position of the single output column made from input ``column``."""
    found = [i for i, n in enumerate(names) if n.split("__", 1)[1] == column]
    assert len(found) == 1, (column, names)
    return found[0]


def columns_of(names, column):
    return [i for i, n in enumerate(names) if n.split("__", 1)[1].startswith(column)]


def test_linear_default_layout(frame, target):
    _, out, names = fit_out(mixed_settings(), frame, target, "linear")
    assert np.isfinite(out).all()
    assert len(columns_of(names, "cat_")) == 5  # a, b, c, d and missing
    assert len(columns_of(names, "when_")) == 7
    assert {"missing__missingindicator_num", "missing__missingindicator_flag"} <= set(names)
    num = out[:, col(names, "num")]
    assert abs(num.mean()) < 1e-9
    assert abs(num.std() - 1) < 1e-9


def test_tree_keeps_nan_and_codes_categories(frame, target):
    pre, out, names = fit_out(mixed_settings(), frame, target, "tree")
    num = out[:, col(names, "num")]
    np.testing.assert_array_equal(np.isnan(num), frame["num"].isna().to_numpy())
    np.testing.assert_allclose(num[~np.isnan(num)], frame["num"].dropna().to_numpy())
    cat = out[:, col(names, "cat")]
    np.testing.assert_array_equal(np.isnan(cat), frame["cat"].isna().to_numpy())
    assert set(cat[~np.isnan(cat)]) == {0.0, 1.0, 2.0, 3.0}
    flag = out[:, col(names, "flag")]
    assert set(flag[~np.isnan(flag)]) == {0.0, 1.0}
    unseen = frame.head(3).assign(cat="never-seen")
    assert (pre.transform(unseen)[:, col(names, "cat")] == -1).all()


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("imputation", list(Imputation))
def test_numeric_imputation(frame, target, flavor, imputation):
    settings = with_column(mixed_settings(), "num", imputation=imputation, fill_value=None)
    _, out, names = fit_out(settings, frame, target, flavor)
    num = out[:, [i for i, n in enumerate(names) if n.endswith("__num")]]
    assert num.shape[1] == 1
    if flavor == "linear" or imputation is not Imputation.NONE:
        assert np.isfinite(num).all()
    if flavor == "linear":
        assert np.isfinite(out).all()


@pytest.mark.parametrize(
    ("imputation", "expected"),
    [
        (Imputation.ZERO, 0.0),
        (Imputation.MINIMUM, "min"),
        (Imputation.CONSTANT, -7.5),
        (Imputation.MEAN, "mean"),
        (Imputation.MEDIAN, "median"),
    ],
)
def test_numeric_imputation_values(frame, target, imputation, expected):
    settings = with_column(mixed_settings(), "num", imputation=imputation, fill_value=-7.5)
    _, out, names = fit_out(settings, frame, target, "tree")
    filled = out[frame["num"].isna().to_numpy(), col(names, "num")]
    observed = frame["num"].dropna()
    value = {"min": observed.min(), "mean": observed.mean(), "median": observed.median()}
    np.testing.assert_allclose(filled, value.get(expected, expected))  # type: ignore[arg-type]


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("column", ["flag", "when"])
@pytest.mark.parametrize("imputation", list(Imputation))
def test_boolean_and_datetime_imputation(frame, target, flavor, column, imputation):
    settings = with_column(mixed_settings(), column, imputation=imputation)
    _, out, names = fit_out(settings, frame, target, flavor)
    part = out[:, columns_of(names, column)]
    if flavor == "linear" or imputation is not Imputation.NONE:
        assert np.isfinite(part).all()


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("imputation", sorted(ALLOWED_IMPUTATIONS[ColumnKind.CATEGORICAL]))
def test_categorical_imputation(frame, target, flavor, imputation):
    settings = with_column(mixed_settings(), "cat", imputation=imputation)
    _, out, names = fit_out(settings, frame, target, flavor)
    part = out[:, columns_of(names, "cat")]
    if flavor == "linear" or imputation is not Imputation.NONE:
        assert np.isfinite(part).all()
    if imputation is Imputation.CONSTANT and flavor == "linear":
        assert any(n.endswith("cat_unknown") for n in names)


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("transformation", list(Transformation))
def test_transformations(frame, target, flavor, transformation):
    shifted = frame.assign(num=frame["num"] - 10)  # negative and zero-crossing values
    settings = with_column(
        mixed_settings(), "num", transformation=transformation, imputation=Imputation.MEDIAN
    )
    pre, out, names = fit_out(settings, shifted, target, flavor)
    assert np.isfinite(out[:, col(names, "num")]).all()
    extreme = shifted.head(4).assign(num=[-1e9, -50.0, 0.0, 1e9])
    assert np.isfinite(pre.transform(extreme)[:, col(names, "num")]).all()


def test_log_transform_is_monotone_log1p(frame, target):
    settings = with_column(mixed_settings(), "skewed", transformation=Transformation.LOG)
    _, out, names = fit_out(settings, frame, target, "tree")
    np.testing.assert_allclose(out[:, col(names, "skewed")], np.log1p(frame["skewed"].to_numpy()))


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("encoding", "width"),
    [(Encoding.ONEHOT, 5), (Encoding.ORDINAL, 1), (Encoding.TARGET, 1)],
)
@pytest.mark.parametrize("where", ["column", "table"])
def test_encodings(frame, target, flavor, encoding, width, where):
    settings = mixed_settings()
    if where == "column":
        settings = with_column(settings, "cat", encoding=encoding)
    else:
        settings = replace(settings, encoding=encoding)
    _, out, names = fit_out(settings, frame, target, flavor)
    assert len(columns_of(names, "cat")) == width
    if flavor == "linear":
        assert np.isfinite(out).all()


def test_column_encoding_wins_over_table(frame, target):
    settings = with_column(
        mixed_settings(encoding=Encoding.TARGET), "cat", encoding=Encoding.ONEHOT
    )
    _, _, names = fit_out(settings, frame, target, "linear")
    assert len(columns_of(names, "cat")) == 5


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("scaling", list(Scaling))
def test_scaling(frame, target, flavor, scaling):
    _, out, _names = fit_out(mixed_settings(scaling=scaling), frame, target, flavor)
    if flavor == "linear" or scaling is Scaling.NORMALIZE:
        assert np.isfinite(out).all()
    if scaling is Scaling.STANDARD:
        np.testing.assert_allclose(np.nanmean(out, axis=0), 0, atol=1e-8)
    if scaling is Scaling.MINMAX:
        assert np.nanmin(out) == pytest.approx(0)
        assert np.nanmax(out) == pytest.approx(1)
    if scaling is Scaling.NORMALIZE:
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1)


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("step", list(FeatureEngineering))
def test_feature_engineering(frame, target, flavor, step):
    base = build_preprocessor(mixed_settings(), task="binary", flavor=flavor)
    n_base = base.fit_transform(frame, target).shape[1]
    settings = mixed_settings(feature_engineering=(step,))
    pre, out, _ = fit_out(settings, frame, target, flavor)
    assert np.isfinite(out).all()
    assert np.isfinite(pre.transform(frame.head(5))).all()
    width = out.shape[1]
    if step in (FeatureEngineering.PCA, FeatureEngineering.FEATURE_AGGLOMERATION):
        assert width == min(20, n_base)
    elif step is FeatureEngineering.POLYNOMIAL:
        m = min(20, n_base)
        assert width == n_base + m * (m - 1) // 2
    elif step is FeatureEngineering.NYSTROEM:
        assert width == 100
    elif step is FeatureEngineering.SELECT_PERCENTILE:
        assert width == int(np.ceil(n_base / 2))
    elif step is FeatureEngineering.SELECT_KBEST:
        assert width == min(20, n_base)
    else:
        assert 1 <= width <= n_base


def test_feature_engineering_chain_in_order(frame, target):
    steps = (FeatureEngineering.SELECT_KBEST, FeatureEngineering.POLYNOMIAL)
    pre, out, _ = fit_out(mixed_settings(feature_engineering=steps), frame, target, "linear")
    assert [name for name, _ in pre.steps][-2:] == ["select_kbest_0", "polynomial_1"]
    assert out.shape[1] == 20 + 20 * 19 // 2


def test_variance_threshold_drops_constant_features(frame, target):
    settings = replace(
        mixed_settings(variance_threshold=0.0),
        columns={**mixed_settings().columns, "const": ColumnSettings(kind=ColumnKind.NUMERIC)},
    )
    _, out, names = fit_out(settings, frame.assign(const=3.0), target, "tree")
    assert not any(n.endswith("__const") for n in names)
    assert any(n.endswith("__num") for n in names)
    assert out.shape[1] == len(names)


def test_datetime_expansion_switch(frame, target):
    _, _, names = fit_out(mixed_settings(expand_datetimes=False), frame, target, "tree")
    assert columns_of(names, "when") == [col(names, "when_epoch")]


def test_text_embedding_needs_enough_text(frame, target):
    _, _, many = fit_out(mixed_settings(), frame, target, "tree")
    assert any("text_svd" in n for n in many)
    small = frame.head(12)
    _, _, few = fit_out(mixed_settings(), small, target[:12], "tree")
    assert [n.split("__")[1] for n in few if "text" in n] == ["text_length", "text_words"]


def test_regression_and_multiclass_tasks(frame):
    y_reg = frame["skewed"].to_numpy() * 2
    _, out, _ = fit_out(
        mixed_settings(encoding=Encoding.TARGET), frame, y_reg, "linear", task="regression"
    )
    assert np.isfinite(out).all()
    y_multi = np.array(["x", "y", "z"])[np.arange(len(frame)) % 3]
    _, out, names = fit_out(
        mixed_settings(encoding=Encoding.TARGET), frame, y_multi, "linear", task="multiclass"
    )
    assert len(columns_of(names, "cat")) == 3  # one encoding per class
    assert len(out) == N_ROWS
