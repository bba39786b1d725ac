"""`tunelab predict` imports only what the bundle's manifest names, and its plain form
(parsed without Typer) accepts exactly the Typer command's options."""

import gc
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from tunelab.bundles import load_bundle, save_bundle
from tunelab.cli import _predict
from tunelab.cli._app import build_app
from tunelab.ensembling import FoldBag, WeightedEnsemble

# Neither a lightgbm bundle nor the command needs these (model libraries, plots,
# explanations, the search and the web app); Typer and Pydantic only for other commands.
NOT_FOR_A_LIGHTGBM_BUNDLE = (
    "torch",
    "xgboost",
    "catboost",
    "matplotlib",
    "shap",
    "optuna",
    "sqlalchemy",
    "fastapi",
    "typer",
    "pydantic",
    "tunelab.automl",
    "tunelab.search",
    "tunelab.server",
    "tunelab.evaluation",
)

# Runs the real entry point; its process ends with os._exit, so the modules are listed there.
_LIST_MODULES_AT_EXIT = """
import json, os, sys
real_exit = os._exit
def exit_listing_modules(code):
    sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()
    real_exit(code)
os._exit = exit_listing_modules
from tunelab.cli import main
sys.argv = ["tunelab", *sys.argv[1:]]
main()
"""


@pytest.fixture(scope="module")
def lightgbm_ensemble(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A weighted ensemble of lightgbm fold bags saved as a bundle, and rows to predict."""
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype(int).to_numpy()
    folds = [
        lgb.LGBMClassifier(n_estimators=5, verbose=-1, random_state=s).fit(X[s::2], y[s::2])
        for s in (0, 1)
    ]
    model = WeightedEnsemble([FoldBag(folds, n_classes=2).fit()], [1.0], n_classes=2).fit()
    folder = tmp_path_factory.mktemp("predict") / "bundle"
    save_bundle(
        folder,
        model,
        task="binary",
        target="y",
        classes=["no", "yes"],
        feature_columns=list(X.columns),
        input_schema=X,
    )
    return folder, X


def test_predict_imports_only_what_the_bundle_names(
    lightgbm_ensemble: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    bundle, X = lightgbm_ensemble
    assert json.loads((bundle / "manifest.json").read_text())["model_libraries"] == [
        "lightgbm",
        "python",
        "tunelab",
    ]
    rows, out = tmp_path / "rows.parquet", tmp_path / "p.parquet"
    X.to_parquet(rows, index=False)
    args = ["predict", str(bundle), str(rows), "--out", str(out), "--proba"]
    done = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES_AT_EXIT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 120 predictions to {out}"
    listing = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    modules = set(json.loads(listing[-1].removeprefix("MODULES ")))
    assert "lightgbm" in modules  # named by the manifest, so loaded
    assert sorted(m for m in NOT_FOR_A_LIGHTGBM_BUNDLE if m in modules) == []
    expected = load_bundle(bundle).predict_proba(X)
    np.testing.assert_allclose(pd.read_parquet(out).to_numpy(), expected.to_numpy())


def test_plain_form_takes_exactly_the_typer_commands_options() -> None:
    command = get_command(build_app()).commands["predict"]  # type: ignore[attr-defined]
    options = sorted(o for p in command.params for o in p.opts if o.startswith("--"))
    positional = [p.name for p in command.params if p.param_type_name == "argument"]
    assert options == sorted(_predict.OPTIONS)
    assert positional == ["model_dir", "data_file"]
    assert _predict.parse(["m", "d.csv", "--out", "p.csv"]) == (
        Path("m"),
        Path("d.csv"),
        Path("p.csv"),
        False,
    )
    assert _predict.parse(["--proba", "--out=p.csv", "m", "d.csv"]) == (
        Path("m"),
        Path("d.csv"),
        Path("p.csv"),
        True,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["m", "d.csv"],  # no --out
        ["m", "--out", "p.csv"],  # one positional
        ["m", "d.csv", "--out", "p.csv", "--probe"],  # misspelt option
        ["m", "d.csv", "--out", "p.csv", "--out", "q.csv"],
        ["m", "d.csv", "--out"],
        ["m", "d.csv", "--", "--out", "p.csv"],
    ],
)
def test_anything_but_the_plain_form_is_left_to_typer(args: list[str]) -> None:
    assert _predict.parse(args) is None
    assert _predict.fast_predict(args) is None


@pytest.mark.parametrize(
    ("drop", "out_name"), [(None, "p.txt"), ("b", "p.csv")], ids=["bad-out", "missing-column"]
)
def test_plain_form_reports_errors_like_the_typer_command(
    lightgbm_ensemble: tuple[Path, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    drop: str | None,
    out_name: str,
) -> None:
    bundle, X = lightgbm_ensemble
    rows = tmp_path / "rows.csv"
    (X if drop is None else X.drop(columns=drop)).to_csv(rows, index=False)
    args = [str(bundle), str(rows), "--out", str(tmp_path / out_name)]
    try:
        assert _predict.fast_predict(args) == 2
        assert gc.isenabled()  # paused only while loading
    finally:
        gc.unfreeze()  # the fast path freezes what it loaded; this process lives on
    fast = capsys.readouterr().err
    assert fast.startswith("error: ")
    typer_run = CliRunner().invoke(build_app(), ["predict", *args])
    assert typer_run.exit_code == 2
    assert typer_run.stderr == fast
    assert not (tmp_path / out_name).exists()
