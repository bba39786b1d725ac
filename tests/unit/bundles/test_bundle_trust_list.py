"""tunelab's trusted-type list covers everything tunelab saves, and nothing is imported
that a bundle does not need.

A bundle of every model family, every preprocessing option and every ensemble kind is saved
and loaded with the exact list; a type missing from the list fails here, not in production.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from bundles.bundle_zoo import ensembles, frame
from tunelab.bundles import load_bundle, save_bundle, trusted_types
from tunelab.bundles._skops import ESTIMATORS_FILE, TYPE_NAMES_FILE, _versions
from tunelab.bundles._trust import AUDITED_FUNCTIONS, TRUSTED_TYPES
from tunelab.entities import TaskType


@pytest.mark.parametrize("task", [t for t in TaskType if t.is_supervised])
def test_every_family_preprocessing_and_ensemble_loads_with_the_list(
    task: TaskType, tmp_path: Path
) -> None:
    X = frame()
    seen: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = ensembles(task)
        for kind, model in models.items():
            path = save_bundle(
                tmp_path / kind,
                model,
                task=task,
                target="y",
                classes=[0, 1, 2][: 2 if task is TaskType.BINARY else 3]
                if task.is_classification
                else None,
                feature_columns=list(X.columns),
                input_schema=X,
            )
            bundle = load_bundle(path)
            seen |= set(bundle.manifest["trusted_types"])
            if task.is_classification:
                np.testing.assert_allclose(
                    bundle.model.predict_proba(X), model.predict_proba(X), rtol=1e-6
                )
            else:
                np.testing.assert_allclose(bundle.model.predict(X), model.predict(X), rtol=1e-6)
    assert seen <= set(trusted_types())
    # the zoo really exercised the list: every library's types and both audited functions
    assert set(AUDITED_FUNCTIONS) <= seen
    assert {
        "lightgbm.basic.Booster",
        "xgboost.core.Booster",
        "tunelab.ensembling._estimators.StackedEnsemble",
    } <= seen


def test_list_has_no_prefixes_and_no_unaudited_functions() -> None:
    import importlib

    for library, names in TRUSTED_TYPES.items():
        for name in names:
            module, _, attr = name.rpartition(".")
            obj = getattr(importlib.import_module(module), attr)
            assert isinstance(obj, type) or name in AUDITED_FUNCTIONS, (library, name)


def test_shipped_sklearn_estimator_names_are_current() -> None:
    """skops' default trust list is rebuilt from this file; it must match scikit-learn.

    Computed in a fresh process: what ``all_estimators`` lists depends on which experimental
    scikit-learn features were enabled before (``IterativeImputer``), as skops' own list does.
    """
    shipped = json.loads(ESTIMATORS_FILE.read_text(encoding="utf-8"))
    code = "import json; from tunelab.bundles._skops import estimator_names as e; "
    assert shipped == json.loads(_run(code + "print(json.dumps(e()))"))


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout


def test_fast_skops_import_keeps_skops_defaults() -> None:
    code = (
        "import json\n"
        "from tunelab.bundles._skops import skops_io\n"
        "skops_io()\n"
        "import skops.io._general as g\n"
        "print(json.dumps(sorted(g.SKLEARN_ESTIMATOR_TYPE_NAMES)))\n"
    )
    fast = json.loads(_run(code))
    real = json.loads(
        _run(code.replace("from tunelab.bundles._skops import skops_io\nskops_io()\n", ""))
    )
    assert fast == real
    assert len(fast) > 100


def test_lightgbm_bundle_loads_without_other_model_libraries(tmp_path: Path) -> None:
    import lightgbm as lgb

    X = frame()[["num", "skewed", "pos"]]
    y = (X["skewed"] > 2).astype(int).to_numpy()
    save_bundle(
        tmp_path / "b",
        lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y),
        task="binary",
        target="y",
        classes=[0, 1],
        feature_columns=list(X.columns),
        input_schema=X,
    )
    code = (
        "import sys\n"
        "import tunelab.bundles\n"
        "light = sorted(m for m in ('skops', 'pandas', 'sklearn') if m in sys.modules)\n"
        f"b = tunelab.bundles.load_bundle({str(tmp_path / 'b')!r})\n"
        "heavy = [m for m in ('xgboost', 'catboost', 'shap', 'optuna') if m in sys.modules]\n"
        "print(light, heavy, type(b.model).__name__)\n"
    )
    assert _run(code).strip() == "[] [] LGBMClassifier"


def test_fast_skops_import_keeps_skops_type_name_lists() -> None:
    """The ufunc name lists answered from ``_skops_type_names.json`` are skops' own, and
    skops' function is put back after the import."""
    shipped = json.loads(TYPE_NAMES_FILE.read_text(encoding="utf-8"))
    assert shipped["versions"] == _versions()  # else: python -m tunelab.bundles._skops
    code = (
        "import json\n"
        "from tunelab.bundles._skops import skops_io\n"
        "skops_io()\n"
        "import skops.io._trusted_types as t, skops.io._utils as u\n"
        "names = {k: sorted(getattr(t, k)) for k in dir(t) if k.endswith('_TYPE_NAMES')}\n"
        "print(json.dumps([names, u.get_public_type_names.__module__]))\n"
    )
    fast, restored = json.loads(_run(code))
    real, _ = json.loads(
        _run(code.replace("from tunelab.bundles._skops import skops_io\nskops_io()\n", ""))
    )
    assert fast == real
    assert len(fast["SCIPY_UFUNC_TYPE_NAMES"]) > 100
    assert restored == "skops.io._utils"
