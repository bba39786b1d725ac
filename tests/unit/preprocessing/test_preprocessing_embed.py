"""The embed flavor: linear numbers, categories as integer codes, linear with whole-table steps."""

import numpy as np
import pandas as pd
from preprocessing_frames import mixed_frame, mixed_settings, mixed_target
from sklearn.pipeline import Pipeline

from tunelab.entities import Scaling
from tunelab.preprocessing import build_preprocessor, categorical_code_columns


def _fitted(flavor: str, **overrides: object) -> tuple[Pipeline, np.ndarray]:
    frame = mixed_frame()
    pre = build_preprocessor(mixed_settings(**overrides), task="binary", flavor=flavor)
    return pre, pre.fit_transform(frame, mixed_target(frame))


def test_categories_are_codes_numbers_as_in_linear() -> None:
    pre, out = _fitted("embed")
    linear_pre, linear = _fitted("linear")
    codes = categorical_code_columns(pre)
    names = list(pre.get_feature_names_out())
    assert [names[i] for i in codes] == [n for n in names if n.endswith("cat")]
    column = out[:, codes[0]]
    seen = column[~np.isnan(column)]
    assert set(seen.tolist()) == {0.0, 1.0, 2.0, 3.0}  # a, b, c, d
    assert np.isnan(column).any()  # missing stays missing, not imputed
    # everything but the category block matches the linear flavor (standardised, flags)
    others = [i for i in range(out.shape[1]) if i not in codes]
    linear_names = list(linear_pre.get_feature_names_out())
    shared = [names[i] for i in others]
    assert shared == [n for n in linear_names if "cat_" not in n]
    np.testing.assert_allclose(out[:, others], linear[:, [linear_names.index(n) for n in shared]])
    assert categorical_code_columns(linear_pre) == []


def test_unseen_category_codes_minus_one() -> None:
    pre, _ = _fitted("embed")
    frame = mixed_frame(5, seed=1).assign(cat=pd.Series(["zzz", "a", None, "d", "zzz"]))
    column = pre.transform(frame)[:, categorical_code_columns(pre)[0]]
    assert column[0] == -1
    assert column[4] == -1
    assert np.isnan(column[2])


def test_whole_table_steps_fall_back_to_linear() -> None:
    pre, out = _fitted("embed", scaling=Scaling.STANDARD)
    _, linear = _fitted("linear", scaling=Scaling.STANDARD)
    assert categorical_code_columns(pre) == []
    np.testing.assert_allclose(out, linear)
