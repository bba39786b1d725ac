"""The work of ``tunelab predict``, and its start-up fast path.

``tunelab predict`` is started once per batch, so its start-up is most of its time. The
ordinary form, ``tunelab predict MODEL DATA --out FILE [--proba]``, is therefore parsed
here without Typer: building the Typer app and its Pydantic parameter adapters costs
about 0.15 s, more than reading and predicting 2,000 rows with a small model. Anything
else (``--help``, an unknown or misspelt option, a missing argument) returns ``None`` from
:func:`fast_predict` and goes through the Typer command in ``automl_cmd``, which calls
:func:`predict_file` too, so both paths do the same work and report errors alike.

Nothing here imports a model library: the bundle's manifest names the ones it needs and
``load_bundle`` imports only those.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

OPTIONS = ("--out", "--proba")
"""The options of ``tunelab predict`` (the Typer command declares the same, tested)."""


def predict_file(
    model_dir: Path, data_file: Path, out: Path, proba: bool = False, *, fresh: bool = False
) -> str:
    """Predict ``data_file`` with the bundle in ``model_dir`` and write ``out`` (.csv or
    .parquet); returns the message to print. Raises ``TunelabError`` (ConfigError for a
    bad ``out`` name) before writing anything. ``fresh``: this process was started for
    this one command (see :func:`_no_cycle_collection`)."""
    from tunelab.entities import ConfigError

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError(f"--out {out}: use a .csv or .parquet file name")
    with _no_cycle_collection() if fresh else nullcontext():
        import pandas as pd

        from tunelab.bundles import load_bundle
        from tunelab.data._readers import read_table

        bundle = load_bundle(model_dir)
    frame = read_table(data_file)
    if bundle.task.value == "clustering":
        from tunelab.cli.cluster_cmd import cluster_predictions

        result = cluster_predictions(bundle, frame)
    elif proba and bundle.task.is_classification:
        result = bundle.predict_proba(frame)
        result.columns = [str(c) for c in result.columns]
    else:  # a regression model has no probabilities: --proba writes its predictions
        result = pd.DataFrame({"prediction": bundle.predict(frame)})
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        result.to_parquet(out, index=False)
    else:
        result.to_csv(out, index=False)
    return f"wrote {len(result)} predictions to {out}"


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while the libraries and the model load.

    Importing scikit-learn and pandas and building the model allocate hundreds of thousands
    of objects that live until the process ends; each allocation threshold crossed runs a
    collection that scans them all and finds little to free (about 0.1 s of a 2 s start). After
    loading they are frozen (never scanned again) and collection resumes for prediction.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def parse(args: Sequence[str]) -> tuple[Path, Path, Path, bool] | None:
    """``(model_dir, data_file, out, proba)`` from the arguments after ``predict``, or None
    when they are not the plain form (Typer then parses them and explains any mistake)."""
    positional: list[str] = []
    out: str | None = None
    proba = False
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--proba" and not proba:
            proba = True
        elif arg == "--out" and out is None and rest and not rest[0].startswith("-"):
            out = rest.pop(0)
        elif arg.startswith("--out=") and out is None and len(arg) > len("--out="):
            out = arg[len("--out=") :]
        elif arg.startswith("-"):
            return None  # --help, --, unknown or repeated options: Typer's answer
        else:
            positional.append(arg)
    if len(positional) != 2 or out is None:
        return None
    return Path(positional[0]), Path(positional[1]), Path(out), proba


def fast_predict(args: Sequence[str]) -> int | None:
    """Run ``tunelab predict`` without Typer; the exit code, or None to let Typer do it."""
    parsed = parse(args)
    if parsed is None:
        return None
    from tunelab.entities import TunelabError

    try:
        message = predict_file(*parsed, fresh=True)
    except TunelabError as error:
        text = f"error: {error}"
        if sys.stderr.isatty():  # as typer.secho(fg=RED) shows it on a terminal
            text = f"\x1b[31m{text}\x1b[0m"
        sys.stderr.write(text + "\n")
        return 2
    sys.stdout.write(message + "\n")
    return 0
