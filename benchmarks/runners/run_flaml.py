"""FLAML AutoML, run by the python of .bench/flaml-venv (never tunelab's environment).

``AutoML().fit(X, y, task=..., metric=..., time_budget=B, n_jobs=2, seed=S)``, everything
else at FLAML's defaults; categoricals as pandas category dtype.
"""

from __future__ import annotations

import pandas as pd
from _common import Timer, as_category, load_spec, load_split, proba_frame, write_outputs
from flaml import AutoML

FLAML_TASK = {"binary": "classification", "multiclass": "classification"}


def main() -> None:
    spec = load_spec()
    target = spec["target"]
    train, test = as_category(*load_split(spec), target)
    X, y = train.drop(columns=[target]), train[target]
    X_test = test.drop(columns=[target])
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = y.astype("str")
    automl = AutoML()
    with Timer() as fit:
        automl.fit(
            X,
            y,
            task=FLAML_TASK.get(spec["task"], "regression"),
            metric=spec["metric"],
            time_budget=spec["budget"],
            n_jobs=spec["n_jobs"],
            seed=spec["seed"],
            verbose=0,
        )
    if spec["task"] == "regression":
        pred = pd.DataFrame({"prediction": automl.predict(X_test)})
    else:
        pred = proba_frame(automl.predict_proba(X_test), automl.classes_)
    write_outputs(
        spec,
        pred,
        fit.seconds,
        best_estimator=automl.best_estimator,
        best_config=automl.best_config,
        best_loss=automl.best_loss,
    )


if __name__ == "__main__":
    main()
