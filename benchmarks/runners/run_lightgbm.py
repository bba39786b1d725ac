"""LightGBM with default hyperparameters: the baseline every AutoML must beat.

Categoricals are given as pandas category dtype (LightGBM's native handling); only
``n_jobs``, ``random_state`` and ``verbose`` are set.
"""

from __future__ import annotations

import lightgbm as lgb
import pandas as pd
from _common import Timer, as_category, load_spec, load_split, proba_frame, write_outputs


def main() -> None:
    spec = load_spec()
    target = spec["target"]
    train, test = as_category(*load_split(spec), target)
    X, y = train.drop(columns=[target]), train[target]
    X_test = test.drop(columns=[target])
    params = {"n_jobs": spec["n_jobs"], "random_state": spec["seed"], "verbose": -1}
    if spec["task"] == "regression":
        model: lgb.LGBMModel = lgb.LGBMRegressor(**params)
    else:
        model = lgb.LGBMClassifier(**params)
    with Timer() as fit:
        model.fit(X, y)
    if spec["task"] == "regression":
        pred = pd.DataFrame({"prediction": model.predict(X_test)})
    else:
        pred = proba_frame(model.predict_proba(X_test), model.classes_)
    write_outputs(spec, pred, fit.seconds)


if __name__ == "__main__":
    main()
