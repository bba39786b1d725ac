"""The MLflow ``loader_module`` of tunelab's MLflow exports (see ``tunelab export``).

``mlflow.pyfunc.load_model(folder)`` calls :func:`_load_pyfunc` with the folder's
``bundle/`` path; the returned object's ``predict`` is what MLflow calls. This module
never imports mlflow: the bundle is loaded by :func:`tunelab.bundles.load_bundle`
(verified checksums, skops with tunelab's trust list).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tunelab.bundles._bundle import Bundle, load_bundle
from tunelab.entities import ConfigError

PREDICT_METHODS = ("predict", "predict_proba")


class TunelabPyfunc:
    """What MLflow's ``PyFuncModel`` wraps: a loaded bundle with MLflow's ``predict``."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle

    def predict(
        self, model_input: Any, params: dict[str, Any] | None = None
    ) -> np.ndarray | pd.DataFrame:
        """Labels (classification) or values; ``params={"predict_method": "predict_proba"}``
        gives one probability column per class label instead."""
        method = (params or {}).get("predict_method", "predict")
        if method not in PREDICT_METHODS:
            raise ConfigError(f"predict_method must be one of {PREDICT_METHODS}, got {method!r}")
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if method == "predict_proba":
            proba = self.bundle.predict_proba(frame)
            proba.columns = [str(c) for c in proba.columns]
            return proba
        return self.bundle.predict(frame)

    def get_raw_model(self) -> Bundle:
        return self.bundle


def _load_pyfunc(data_path: str) -> TunelabPyfunc:
    """MLflow's entry point: load the tunelab bundle folder at ``data_path``."""
    return TunelabPyfunc(load_bundle(data_path))
