"""Fitted pipelines survive a skops dump/load with an explicit trusted-type list."""

import numpy as np
import pytest
import skops.io as sio
from preprocessing_frames import mixed_frame, mixed_settings, mixed_target
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from tunelab.entities import (
    ColumnSettings,
    Encoding,
    FeatureEngineering,
    Imputation,
    Transformation,
)
from tunelab.preprocessing import make_model_pipeline

TRUSTED_PREFIXES = ("tunelab.", "sklearn.", "numpy.", "scipy.", "builtins.")


def rich_settings():
    settings = mixed_settings(
        feature_engineering=(FeatureEngineering.SELECT_KBEST, FeatureEngineering.PCA),
        variance_threshold=0.0,
    )
    columns = dict(settings.columns)
    columns["num"] = ColumnSettings(
        imputation=Imputation.KNN, transformation=Transformation.BOX_COX
    )
    columns["skewed"] = ColumnSettings(
        imputation=Imputation.MINIMUM, transformation=Transformation.LOG
    )
    columns["cat"] = ColumnSettings(kind=columns["cat"].kind, encoding=Encoding.TARGET)
    return type(settings)(**{**settings.__dict__, "columns": columns})


@pytest.mark.parametrize(
    ("flavor", "estimator"),
    [("linear", LogisticRegression(max_iter=500)), ("tree", DecisionTreeClassifier(max_depth=4))],
)
def test_skops_round_trip(tmp_path, flavor, estimator):
    frame, y = mixed_frame(), mixed_target(mixed_frame())
    model = make_model_pipeline(rich_settings(), estimator, task="binary", flavor=flavor)
    model.fit(frame, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    foreign = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    assert foreign == [], foreign
    loaded = sio.load(path, trusted=untrusted)
    new = mixed_frame(seed=7)
    np.testing.assert_array_equal(loaded.predict(new), model.predict(new))
    np.testing.assert_allclose(loaded.predict_proba(new), model.predict_proba(new))
    assert list(loaded.classes_) == list(model.classes_)
