"""The torch_mlp family: estimator contract, determinism, early stopping, pickle-free saving."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.datasets import make_classification, make_regression
from sklearn.utils.estimator_checks import check_estimator

pytest.importorskip("torch")

from tunelab.entities import ConfigError, TaskType
from tunelab.models import ModelContext, get_model_spec, trusted_types
from tunelab.models._torch_net import TorchMLPClassifier, TorchMLPRegressor

SMALL = {"n_layers": 2, "width": 32, "batch_size": 32, "max_epochs": 60}


def _classification(n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        400, 8, n_informative=5, n_classes=n_classes, random_state=0, flip_y=0.05
    )


@pytest.mark.parametrize("estimator", [TorchMLPClassifier(**SMALL), TorchMLPRegressor(**SMALL)])
def test_sklearn_estimator_checks(estimator: object) -> None:
    results = check_estimator(estimator, on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 40


def test_same_seed_same_predictions_other_seed_differs() -> None:
    X, y = _classification()
    fit = {"X_valid": X[300:], "y_valid": y[300:]}
    a = TorchMLPClassifier(**SMALL, random_state=3).fit(X[:300], y[:300], **fit)
    b = TorchMLPClassifier(**SMALL, random_state=3).fit(X[:300], y[:300], **fit)
    c = TorchMLPClassifier(**SMALL, random_state=4).fit(X[:300], y[:300], **fit)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_early_stopping_keeps_the_best_epoch() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 5)), rng.normal(size=300)  # pure noise: overfits at once
    model = TorchMLPRegressor(width=128, max_epochs=200, patience=5, batch_size=32)
    model.fit(X[:200], y[:200], X_valid=X[200:], y_valid=y[200:])
    assert model.n_epochs_ < 200
    assert model.n_epochs_ == model.best_epoch_ + 5
    assert min(model.valid_loss_) == model.valid_loss_[model.best_epoch_ - 1]


def test_regression_multiclass_binary_learn() -> None:
    X, y = make_regression(400, 6, noise=1.0, random_state=0)
    y = y * 100 + 5000  # far from 0/1: the estimator standardises the target
    reg = TorchMLPRegressor(**SMALL).fit(X[:300], y[:300])
    assert reg.score(X[300:], y[300:]) > 0.9
    for n_classes in (2, 3):
        X, y = _classification(n_classes)
        labels = np.array(["a", "b", "c"])[y]
        clf = TorchMLPClassifier(**SMALL).fit(X[:300], labels[:300])
        assert list(clf.classes_) == ["a", "b", "c"][:n_classes]
        assert clf.predict_proba(X).shape == (400, n_classes)
        assert clf.score(X[300:], labels[300:]) > 0.7


def test_options_batch_norm_l1_schedules_and_explicit_layers() -> None:
    X, y = _classification()
    for params in (
        {"batch_norm": True, "l1": 1e-4, "lr_schedule": "cosine"},
        {"hidden_sizes": (32, 16, 8), "activation": ("relu", "tanh", "relu"),
         "dropout": (0.3, 0.2, 0.0), "lr_schedule": "constant"},
    ):  # fmt: skip
        clf = TorchMLPClassifier(**{**SMALL, **params}).fit(X[:300], y[:300])
        assert clf.score(X[300:], y[300:]) > 0.6, params
    assert TorchMLPClassifier(hidden_sizes=(32, 16, 8))._layer_sizes() == (32, 16, 8)


def test_bad_settings_name_the_parameter() -> None:
    X, y = _classification()
    with pytest.raises(ConfigError, match="lr_schedule"):
        TorchMLPClassifier(lr_schedule="step").fit(X, y)
    with pytest.raises(ConfigError, match="activation"):
        TorchMLPClassifier(activation="swish", max_epochs=1).fit(X, y)
    with pytest.raises(ConfigError, match="dropout has 2 entries for 3"):
        TorchMLPClassifier(dropout=(0.1, 0.2), max_epochs=1).fit(X, y)
    with pytest.raises(ConfigError, match="X_valid and y_valid"):
        TorchMLPClassifier(max_epochs=1).fit(X, y, X_valid=X)


def test_skops_round_trip_without_pickle(tmp_path: Path) -> None:
    X, y = _classification()
    clf = TorchMLPClassifier(**SMALL, batch_norm=True).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) <= set(trusted_types())
    loaded = sio.load(path, trusted=untrusted)
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.get_params() == clf.get_params()
    # the stored state is arrays and primitives: no torch object, no pickle protocol
    state = clf.__getstate__()
    assert "module_" not in state
    assert all(isinstance(v, np.ndarray) for v in state["weights_"].values())


def test_spec_builds_the_right_estimator_and_refits_best_epochs() -> None:
    spec = get_model_spec("torch_mlp")
    assert spec.flavor == "embed"
    ctx = ModelContext(task=TaskType.REGRESSION, n_rows=300, n_features=8, n_classes=0)
    reg = spec.make(spec.cheap_params(ctx), ctx)
    assert isinstance(reg, TorchMLPRegressor)
    X, y = make_regression(300, 8, noise=10.0, random_state=1)
    spec.fit(reg, X[:200], y[:200], X[200:], y[200:])
    best = spec.best_iteration(reg)
    assert best == reg.best_epoch_
    assert best is not None
    assert spec.refit_params({}, reg) == {"max_epochs": best}
    cls_ctx = ModelContext(task=TaskType.BINARY, n_rows=300, n_features=8, n_classes=2)
    clf = spec.make({}, cls_ctx)
    assert isinstance(clf, TorchMLPClassifier)
    assert clf.label_smoothing == 0.1
    assert set(spec.search_space(cls_ctx)) >= {"n_layers", "width", "dropout", "learning_rate"}


def test_tunelab_imports_without_loading_torch() -> None:
    code = (
        "import sys, tunelab, tunelab.models; "
        "from tunelab.models import get_model_spec; get_model_spec('torch_mlp'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_automl_with_torch_mlp_only_saves_a_loadable_bundle(tmp_path: Path) -> None:
    from tunelab.automl import AutoML
    from tunelab.bundles import load_bundle

    X, y = _classification(2)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")  # a categorical column (embedding)
    frame["label"] = np.where(y == 1, "yes", "no")
    automl = AutoML(
        algorithms=["torch_mlp"], time_budget=40, max_trials=2, ensemble="none", seed=0
    ).fit(frame, target="label")
    board = automl.leaderboard()
    assert board["name"].str.startswith("torch_mlp").all()
    assert np.isfinite(board["score"].iloc[0])
    bundle = load_bundle(automl.save(tmp_path / "bundle"))
    features = frame.drop(columns="label")
    expected = automl.predict_proba(features).to_numpy()
    assert np.array_equal(bundle.predict_proba(features).to_numpy(), expected)
    assert (automl.predict(features) == frame["label"]).mean() > 0.7
