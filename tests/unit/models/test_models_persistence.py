"""Every fitted family survives a skops round trip with tunelab's trusted-type list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from tunelab.entities import TaskType
from tunelab.models import ModelSpec, trusted_types


def _predict(est: Any, X: np.ndarray, task: TaskType) -> np.ndarray:
    return est.predict_proba(X) if task.is_classification else est.predict(X)


def test_skops_round_trip(
    spec: ModelSpec, task: TaskType, fitted_cheap: dict[Any, Any], tmp_path: Path
) -> None:
    fitted = fitted_cheap[spec.name, task]
    X = fitted.data.for_flavor(spec.flavor)
    path = tmp_path / "model.skops"
    sio.dump(fitted.estimator, path)
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted <= set(trusted_types()), sorted(untrusted - set(trusted_types()))
    loaded = sio.load(path, trusted=trusted_types())
    assert type(loaded) is type(fitted.estimator)
    np.testing.assert_array_equal(_predict(loaded, X, task), _predict(fitted.estimator, X, task))


def test_knn_variants_round_trip(datasets: dict[Any, Any], tmp_path: Path) -> None:
    """Other distance metrics and neighbour indexes are trusted too."""
    from tunelab.models import get_model_spec

    spec, data = get_model_spec("knn"), datasets[TaskType.MULTICLASS]
    X, y, Xv, _ = data.split("linear")
    for params in ({"p": 1}, {"p": 2, "algorithm": "ball_tree"}, {"p": 3}):
        est = spec.fit(spec.make(params, data.ctx()), X, y)
        path = tmp_path / "knn.skops"
        sio.dump(est, path)
        loaded = sio.load(path, trusted=trusted_types())
        np.testing.assert_array_equal(loaded.predict_proba(Xv), est.predict_proba(Xv))
