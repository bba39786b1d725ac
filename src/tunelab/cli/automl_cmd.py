"""``tunelab automl``, ``predict``, ``evaluate`` and ``profile``."""

from pathlib import Path
from typing import Annotated, Any

import typer

from tunelab.entities.choices import TASKS, Ensemble, Sampler, Synthesizer
from tunelab.entities.preprocessing import Encoding, FeatureEngineering, Scaling
from tunelab.entities.search import SplitKind

TaskOption = Annotated[
    str | None,
    typer.Option(
        "--task",
        help=f"{', '.join(TASKS)} (inferred from the target if unset; clustering takes none)",
    ),
]

# settings field (dotted path) -> the option that sets it, for error messages
_OPTIONS = {
    "split.ratios": "--holdout",
    "split.folds": "--cv",
    "split.kind": "--split",
    "split.column": "--split-column",
    "split.column_ranges": "--column-ranges",
    "split.repeats": "--repeats",
    "split.test_ratio": "--test-ratio",
    "split.stratify": "--stratify",
    "split.shuffle": "--shuffle",
    "sampling.ratio": "--sample-ratio",
    "sampling.size": "--sample-size",
    "sampling.balance_to": "--balance-to",
    "sampling.smote": "--smote",
    "sampling.synthesizer": "--synthesizer",
}


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _option(field: str) -> str:
    """The CLI option of a settings field (``time_budget`` -> ``--time-budget``)."""
    if field in _OPTIONS:
        return _OPTIONS[field]
    return "--" + field.rsplit(".", 1)[-1].replace("_", "-")


def _ratios(holdout: str) -> list[float]:
    from tunelab.entities import ConfigError

    try:
        parts = [float(p) for p in holdout.split(":")]
    except ValueError:
        raise ConfigError(
            f"--holdout {holdout!r}: expected TRAIN:VALID:TEST, e.g. 0.6:0.2:0.2"
        ) from None
    if len(parts) != 3:
        raise ConfigError(f"--holdout {holdout!r}: expected three ratios TRAIN:VALID:TEST")
    total = sum(parts)
    return [p / total for p in parts] if total > 0 else parts


def _ranges(text: str) -> list[list[float]]:
    from tunelab.entities import ConfigError

    try:
        pairs = [[float(v) for v in part.split(":")] for part in text.split(",")]
    except ValueError:
        pairs = []
    if len(pairs) != 3 or any(len(p) != 2 for p in pairs):
        raise ConfigError(
            f"--column-ranges {text!r}: expected LOW:HIGH,LOW:HIGH,LOW:HIGH (train, valid, test)"
        )
    return pairs


def _split(options: dict[str, Any], test_ratio: float) -> dict[str, Any] | None:
    """The ``split`` settings from the split options (None: the default rule)."""
    from tunelab.entities import ConfigError

    cv, holdout, kind = options["cv"], options["holdout"], options["split"]
    if cv is not None and holdout is not None:
        raise ConfigError("--cv and --holdout are exclusive: choose one")
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return None
    split: dict[str, Any] = {"kind": kind or ("holdout" if holdout is not None else "cv")}
    if cv is not None:
        split["folds"] = cv
    if holdout is not None:
        split["ratios"] = _ratios(holdout)
    if split["kind"] != "holdout":
        split["test_ratio"] = test_ratio
    for key in ("repeats", "stratify", "shuffle"):
        if options[key] is not None:
            split[key] = options[key]
    if options["split_column"] is not None:
        split["column"] = options["split_column"]
    if options["column_ranges"] is not None:
        split["column_ranges"] = _ranges(options["column_ranges"])
    return split


def _settings_json(options: dict[str, Any]) -> dict[str, Any]:
    """The settings JSON (``ExperimentSettings`` keys) the options give; unset ones omitted."""
    split_keys = ("cv", "holdout", "split", "split_column", "column_ranges", "repeats")
    split = _split(
        {k: options.pop(k) for k in (*split_keys, "stratify", "shuffle")},
        options["test_ratio"],
    )
    test_ratio = options.pop("test_ratio")
    settings: dict[str, Any] = {"split": split} if split else {"test_ratio": test_ratio}
    sampling = {
        "ratio": options.pop("sample_ratio"),
        "size": options.pop("sample_size"),
        "balance_to": options.pop("balance_to"),
        "smote": options.pop("smote"),
        "synthesizer": options.pop("synthesizer"),
    }
    if any(v is not None for v in sampling.values()):
        settings["sampling"] = {k: v for k, v in sampling.items() if v is not None}
    preprocessing = {
        "encoding": options.pop("encoding"),
        "scaling": options.pop("scaling"),
        "variance_threshold": options.pop("variance_threshold"),
        "onehot_max_categories": options.pop("onehot_max_categories"),
        "feature_engineering": options.pop("feature_engineering"),
    }
    if preprocessing["feature_engineering"] is not None:
        steps = preprocessing["feature_engineering"].split(",")
        preprocessing["feature_engineering"] = [s.strip() for s in steps if s.strip()]
    if any(v is not None for v in preprocessing.values()):
        settings["preprocessing"] = {k: v for k, v in preprocessing.items() if v is not None}
    algorithms = options.pop("algorithms")
    if algorithms is not None:
        settings["algorithms"] = [a for a in algorithms.split(",")]
    settings.update({k: v for k, v in options.items() if v is not None})
    return settings


def _check_writable(out: Path) -> None:
    """``--out`` must be a folder we can create or write into (checked before the search)."""
    import os

    from tunelab.entities import ConfigError

    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: cannot write into {existing}")


def _cluster(
    train_file: Path,
    out: Path,
    n_clusters: str | None,
    label: str | None,
    time_budget: float | None,
    max_trials: int | None,
    algorithms: str | None,
    seed: int | None,
) -> None:
    """``--task clustering``: the clustering search (``tunelab.cli.cluster_cmd``)."""
    import math

    from tunelab.cli.cluster_cmd import run_clustering
    from tunelab.entities import TunelabError

    if time_budget is not None and not (math.isfinite(time_budget) and time_budget > 0):
        _fail(f"--time-budget {time_budget}: give a positive number of seconds")
    try:
        _check_writable(out)
        run_clustering(
            train_file,
            out=out,
            n_clusters=n_clusters,
            label=label,
            time_budget=60.0 if time_budget is None else time_budget,
            max_candidates=max_trials,
            algorithms=algorithms,
            seed=0 if seed is None else seed,
        )
    except TunelabError as error:
        _fail(str(error))


def settings_from_options(**options: Any) -> Any:
    """The checked ``ExperimentSettings`` of ``tunelab automl``'s options; a bad value is a
    ``ConfigError`` naming the option and the settings field."""
    from tunelab.automl import check_settings
    from tunelab.entities import ConfigError, ExperimentSettings, SettingsError, parse_settings

    try:
        settings = parse_settings(_settings_json(dict(options)), ExperimentSettings)
        check_settings(settings, task=None if settings.task is None else settings.task.value)
        return settings
    except SettingsError as error:
        raise ConfigError(
            "; ".join(f"{_option(f)} ({f}): {message}" for f, message in error.errors)
        ) from None


def process_started() -> float:
    """The ``time.monotonic()`` instant this process started (interpreter start-up and
    imports included): a time budget given on the command line spans the whole command."""
    import time

    import psutil

    age = max(0.0, time.time() - psutil.Process().create_time())
    return time.monotonic() - age


def record_command_timings(out: Path, started: float) -> None:
    """Add the command's own timings to ``timings.json`` (written by ``AutoML.save``):
    ``startup`` (process start to the fit) and ``until_saved`` (process start to now)."""
    import json
    import time

    path = out / "timings.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    fit = data.get("fit", {})
    data["command"] = {
        "startup": fit.get("before_fit"),
        "until_saved": round(time.monotonic() - started, 3),
    }
    path.write_text(json.dumps(data, indent=2))


def automl(
    train_file: Annotated[
        Path, typer.Argument(help="training table (csv, tsv, txt, xls, xlsx, parquet)")
    ],
    out: Annotated[Path, typer.Option("--out", help="folder for the model bundle and report")],
    target: Annotated[
        str | None, typer.Option("--target", help="the column to predict (not for clustering)")
    ] = None,
    task: TaskOption = None,
    metric: Annotated[str | None, typer.Option(help="metric to optimise")] = None,
    time_budget: Annotated[
        float | None, typer.Option(help="total seconds for the fit (default 60; at most a week)")
    ] = None,
    trial_timeout: Annotated[
        float | None, typer.Option(help="seconds before a trial is stopped")
    ] = None,
    max_trials: Annotated[int | None, typer.Option(help="stop after this many trials")] = None,
    early_stopping_rounds: Annotated[
        int | None, typer.Option(help="stop after this many trials without improvement")
    ] = None,
    algorithms: Annotated[str | None, typer.Option(help="comma-separated model families")] = None,
    sampler: Annotated[Sampler | None, typer.Option(help="Optuna sampler (tpe)")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (0)")] = None,
    cv: Annotated[int | None, typer.Option("--cv", help="k-fold CV with K folds")] = None,
    holdout: Annotated[str | None, typer.Option(help="holdout ratios TRAIN:VALID:TEST")] = None,
    split: Annotated[SplitKind | None, typer.Option("--split", help="split kind (cv)")] = None,
    split_column: Annotated[
        str | None, typer.Option(help="group column (group), order column (time) or range column")
    ] = None,
    column_ranges: Annotated[
        str | None,
        typer.Option(help="LOW:HIGH,LOW:HIGH,LOW:HIGH of --split-column (train, valid, test)"),
    ] = None,
    repeats: Annotated[int | None, typer.Option(help="repeats of k-fold (repeated_cv)")] = None,
    stratify: Annotated[
        bool | None, typer.Option("--stratify/--no-stratify", help="keep class shares")
    ] = None,
    shuffle: Annotated[
        bool | None, typer.Option("--shuffle/--no-shuffle", help="shuffle before splitting")
    ] = None,
    test_ratio: Annotated[
        float, typer.Option(help="untouched test share (with --cv or default)")
    ] = 0.2,
    sample_ratio: Annotated[
        float | None, typer.Option(help="keep this share of training rows, in (0, 1]")
    ] = None,
    sample_size: Annotated[
        int | None,
        typer.Option(
            help="keep at most this many training rows; above the training rows, "
            "synthetic rows fill it up (see --synthesizer)"
        ),
    ] = None,
    balance_to: Annotated[
        str | None,
        typer.Option(help="resample classes to this class's count (a label, minority, majority)"),
    ] = None,
    smote: Annotated[
        bool | None, typer.Option("--smote/--no-smote", help="oversample minority classes")
    ] = None,
    synthesizer: Annotated[
        Synthesizer | None,
        typer.Option(
            help="what draws the synthetic rows when --sample-size exceeds the training rows"
        ),
    ] = None,
    encoding: Annotated[Encoding | None, typer.Option(help="categorical encoding")] = None,
    scaling: Annotated[Scaling | None, typer.Option(help="numeric scaling")] = None,
    variance_threshold: Annotated[
        float | None, typer.Option(help="drop features with at most this variance")
    ] = None,
    onehot_max_categories: Annotated[
        int | None, typer.Option(help="above this many levels auto encoding uses target encoding")
    ] = None,
    feature_engineering: Annotated[
        str | None,
        typer.Option(
            help="comma-separated steps: " + ", ".join(f.value for f in FeatureEngineering)
        ),
    ] = None,
    ensemble: Annotated[
        Ensemble | None, typer.Option(help="how trials are combined (greedy)")
    ] = None,
    refit_best: Annotated[
        bool | None,
        typer.Option("--refit-best/--no-refit-best", help="refit the best trial on all rows"),
    ] = None,
    refit_final: Annotated[
        bool | None,
        typer.Option(
            "--refit-final/--no-refit-final", help="refit the final model's members on all rows"
        ),
    ] = None,
    infer_limit: Annotated[
        float | None,
        typer.Option(help="most seconds per row the best single model may take to predict"),
    ] = None,
    n_jobs: Annotated[int | None, typer.Option("--n-jobs", help="trials in parallel (1)")] = None,
    cpu_per_trial: Annotated[
        int | None, typer.Option(help="CPUs (threads) per trial (1); Ray: the task's num_cpus")
    ] = None,
    memory_limit_mb: Annotated[
        float | None,
        typer.Option(help="stop a trial above this resident memory (MiB); Ray: reserved"),
    ] = None,
    gpu_per_trial: Annotated[
        float | None, typer.Option(help="GPUs per trial, reserved on Ray (num_gpus)")
    ] = None,
    n_clusters: Annotated[
        str | None, typer.Option("--n-clusters", help="clustering: K (2 or more) or auto")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="clustering: a column used only to evaluate")
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="run trials on this Ray cluster (HOST:PORT, auto)"),
    ] = None,
) -> None:
    """Search models for TRAIN_FILE and save the best (bundle, leaderboard, report) in --out."""
    if task is not None and task.strip().lower() == "clustering":
        _cluster(train_file, out, n_clusters, label, time_budget, max_trials, algorithms, seed)
        return
    if target is None:
        _fail("--target is required (except with --task clustering)")
        return
    options = {
        k: v
        for k, v in locals().items()
        if k not in ("train_file", "out", "target", "n_clusters", "label", "ray_address")
    }
    from rich.console import Console

    from tunelab.automl import AutoML
    from tunelab.cli._live import LiveSearchView
    from tunelab.data import read_table
    from tunelab.entities import TunelabError
    from tunelab.evaluation import default_metric, get_metric
    from tunelab.executors import cluster_executor

    console = Console(stderr=True)
    started = process_started()
    executor = cluster_executor(ray_address)
    try:
        settings = settings_from_options(**options)
        _check_writable(out)
        frame = read_table(train_file)
        engine = AutoML.from_settings(settings, executor=executor)
        from tunelab.data import prepare_target

        task_ = prepare_target(frame, target, settings.task).task
        chosen = get_metric(settings.metric, task_) if settings.metric else default_metric(task_)
        greater = chosen.greater_is_better  # rmse (the regression default) is lower-is-better
        view = LiveSearchView(
            console,
            time_budget=settings.time_budget,
            max_trials=settings.max_trials,
            greater_is_better=greater,
        )
        engine.callbacks = [view]
        with view:
            # the budget spans the whole command: from the process's start, saving included
            engine.fit(frame, target=target, budget_started=started, reserve_save=True)
        engine.save(out)
        record_command_timings(out, started)
    except TunelabError as error:
        _fail(str(error))
        return
    finally:
        if executor is not None:
            executor.shutdown()
    board = engine.leaderboard()
    console.print()
    console.print(
        f"[bold]{engine.task_.value}[/] · metric {engine.metric_} · "
        f"{len(engine.trials_)} trials · {engine.fit_time_:.1f} s · stopped: {engine.stop_reason_}"
    )
    typer.echo(
        board.head(10)[["rank", "name", "status", "score", "score_std", "fit_time"]].to_string(
            index=False
        )
    )
    synthetic = getattr(engine, "synthetic_", None)
    if synthetic:
        auc = synthetic.get("discriminator_auc")
        typer.echo(
            f"synthetic rows: {synthetic['rows_synthetic']} ({synthetic['synthesizer']}) · "
            + (f"discriminator AUC {auc:.3f} · " if isinstance(auc, float) else "")
            + f"verdict: {synthetic['verdict']} (see synthetic.json)"
        )
    typer.echo(f"saved model bundle, leaderboard and report to {out}")


def predict(
    model_dir: Annotated[Path, typer.Argument(help="a model bundle folder")],
    data_file: Annotated[Path, typer.Argument(help="table to predict")],
    out: Annotated[Path, typer.Option("--out", help="predictions file (.csv or .parquet)")],
    proba: Annotated[
        bool,
        typer.Option(
            "--proba", help="class probabilities (a regression model writes `prediction`)"
        ),
    ] = False,
) -> None:
    """Predict DATA_FILE with a saved bundle; write a CSV or Parquet file."""
    from tunelab.cli._predict import predict_file
    from tunelab.entities import TunelabError

    try:
        message = predict_file(model_dir, data_file, out, proba)
    except TunelabError as error:
        _fail(str(error))
        return
    typer.echo(message)


def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="a model bundle folder")],
    data_file: Annotated[Path, typer.Argument(help="labelled table")],
) -> None:
    """All metrics of a saved model on a labelled table, with 95% bootstrap intervals."""
    import json

    from tunelab.bundles import load_bundle
    from tunelab.data import read_table
    from tunelab.entities import DataError, TunelabError
    from tunelab.evaluation import evaluate_predictions

    try:
        bundle = load_bundle(model_dir)
        frame = read_table(data_file)
        if bundle.task.value == "clustering":
            from tunelab.cli.cluster_cmd import cluster_evaluation

            typer.echo(json.dumps(cluster_evaluation(bundle, frame, data_file), indent=2))
            return
        target = str(bundle.manifest["target"])
        if target not in frame.columns:
            raise DataError(f"{data_file} has no target column {target!r}")
        labelled = frame[frame[target].notna()]
        task = bundle.task
        if task.is_classification:
            classes = list(bundle.classes or [])
            index = {str(c): i for i, c in enumerate(classes)}
            unknown = sorted({str(v) for v in labelled[target]} - set(index))
            if unknown:
                raise DataError(f"labels the model never saw: {', '.join(unknown)}")
            y = [index[str(v)] for v in labelled[target]]
            result = evaluate_predictions(
                task,
                None,
                y,
                proba=bundle.predict_proba(labelled).to_numpy(),
                classes=classes,
                with_curves=False,
            )
        else:
            result = evaluate_predictions(
                task,
                None,
                labelled[target].to_numpy(dtype=float),
                y_pred=bundle.predict(labelled),
                with_curves=False,
            )
    except TunelabError as error:
        _fail(str(error))
        return
    typer.echo(json.dumps(result["metrics"], indent=2))


def profile(
    data_file: Annotated[Path, typer.Argument(help="table to profile")],
    target: Annotated[str | None, typer.Option("--target", help="target column")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Column kinds, missing values, statistics, class counts and leakage warnings."""
    import dataclasses
    import json

    from rich.console import Console
    from rich.table import Table

    from tunelab.data import profile_dataset, read_table
    from tunelab.entities import TunelabError

    try:
        result = profile_dataset(read_table(data_file), target=target)
    except TunelabError as error:
        _fail(str(error))
        return
    if json_out:
        typer.echo(json.dumps(dataclasses.asdict(result), default=str, indent=2))
        return
    console = Console()
    table = Table(title=f"{data_file.name}: {result.n_rows} rows × {result.n_columns} columns")
    for name in ("column", "kind", "missing", "unique", "mean", "min", "max", "most frequent"):
        table.add_column(name)
    for col in result.columns:
        table.add_row(
            col.name,
            col.kind.value,
            f"{col.n_missing} ({col.missing_ratio:.1%})",
            str(col.n_unique),
            "" if col.mean is None else f"{col.mean:.4g}",
            str(col.min),
            str(col.max),
            str(col.most_frequent),
        )
    console.print(table)
    if result.class_counts:
        console.print(f"class counts: {result.class_counts}")
    for warning in result.leakage:
        console.print(f"[yellow]leakage warning:[/] {warning.message}")


def register(app: typer.Typer) -> None:
    """Add the AutoML commands to ``app``."""
    app.command("automl")(automl)
    app.command("predict")(predict)
    app.command("evaluate")(evaluate)
    app.command("profile")(profile)
