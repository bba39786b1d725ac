"""``tunelab automl``, ``predict``, ``evaluate`` and ``profile``."""

from pathlib import Path
from typing import Annotated

import typer

TaskOption = Annotated[
    str | None, typer.Option("--task", help="binary, multiclass or regression (inferred if unset)")
]


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _split(cv: int | None, holdout: str | None, test_ratio: float) -> object:
    from tunelab.entities import ConfigError, SplitConfig, SplitKind

    if cv is not None and holdout is not None:
        raise ConfigError("--cv and --holdout are exclusive: choose one")
    if holdout is not None:
        try:
            parts = tuple(float(p) for p in holdout.split(":"))
        except ValueError:
            raise ConfigError(
                f"--holdout {holdout!r}: expected TRAIN:VALID:TEST, e.g. 0.6:0.2:0.2"
            ) from None
        if len(parts) != 3:
            raise ConfigError(f"--holdout {holdout!r}: expected three ratios TRAIN:VALID:TEST")
        total = sum(parts)
        ratios = (parts[0] / total, parts[1] / total, parts[2] / total)
        return SplitConfig(kind=SplitKind.HOLDOUT, ratios=ratios)
    if cv is not None:
        if cv not in (3, 5, 10):
            raise ConfigError(f"--cv {cv}: choose 3, 5 or 10 folds")
        return SplitConfig(kind=SplitKind.CV, folds=cv, test_ratio=test_ratio)
    return None


def automl(
    train_file: Annotated[
        Path, typer.Argument(help="training table (csv, tsv, txt, xls, xlsx, parquet)")
    ],
    target: Annotated[str, typer.Option("--target", help="the column to predict")],
    out: Annotated[Path, typer.Option("--out", help="folder for the model bundle and report")],
    task: TaskOption = None,
    metric: Annotated[str | None, typer.Option(help="metric to optimise")] = None,
    time_budget: Annotated[float, typer.Option(help="total seconds for the search")] = 60.0,
    trial_timeout: Annotated[
        float | None, typer.Option(help="seconds before a trial is killed")
    ] = None,
    max_trials: Annotated[int | None, typer.Option(help="stop after this many trials")] = None,
    algorithms: Annotated[str | None, typer.Option(help="comma-separated model families")] = None,
    cv: Annotated[int | None, typer.Option("--cv", help="k-fold CV with K = 3, 5 or 10")] = None,
    holdout: Annotated[str | None, typer.Option(help="holdout ratios TRAIN:VALID:TEST")] = None,
    test_ratio: Annotated[
        float, typer.Option(help="untouched test share (with --cv or default)")
    ] = 0.2,
    ensemble: Annotated[str, typer.Option(help="greedy, stacking or none")] = "greedy",
    sampler: Annotated[str, typer.Option(help="tpe, random, grid, cmaes, qmc or gp")] = "tpe",
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="trials in parallel")] = 1,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="run trials on this Ray cluster (HOST:PORT, auto)"),
    ] = None,
) -> None:
    """Search models for TRAIN_FILE and save the best (bundle, leaderboard, report) in --out."""
    from rich.console import Console

    from tunelab.automl import AutoML
    from tunelab.cli._live import LiveSearchView
    from tunelab.data import read_table
    from tunelab.entities import TunelabError
    from tunelab.evaluation import default_metric, get_metric
    from tunelab.executors import cluster_executor

    console = Console(stderr=True)
    executor = cluster_executor(ray_address)
    try:
        split = _split(cv, holdout, test_ratio)
        frame = read_table(train_file)
        engine = AutoML(
            task=task,
            metric=metric,
            time_budget=time_budget,
            trial_timeout=trial_timeout,
            max_trials=max_trials,
            seed=seed,
            n_jobs=n_jobs,
            ensemble=ensemble,
            sampler=sampler,
            algorithms=[a for a in algorithms.split(",")] if algorithms else None,
            split=split,  # type: ignore[arg-type]
            test_ratio=test_ratio if split is None else 0.0,
            executor=executor,
        )
        from tunelab.data import prepare_target

        task_ = prepare_target(frame, target, task).task
        chosen = get_metric(metric, task_) if metric else default_metric(task_)
        greater = chosen.greater_is_better  # rmse (the regression default) is lower-is-better
        view = LiveSearchView(
            console, time_budget=time_budget, max_trials=max_trials, greater_is_better=greater
        )
        engine.callbacks = [view]
        with view:
            engine.fit(frame, target=target)
        engine.save(out)
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
    typer.echo(f"saved model bundle, leaderboard and report to {out}")


def predict(
    model_dir: Annotated[Path, typer.Argument(help="a model bundle folder")],
    data_file: Annotated[Path, typer.Argument(help="table to predict")],
    out: Annotated[Path, typer.Option("--out", help="predictions file (.csv or .parquet)")],
    proba: Annotated[bool, typer.Option("--proba", help="class probabilities")] = False,
) -> None:
    """Predict DATA_FILE with a saved bundle; write a CSV or Parquet file."""
    import pandas as pd

    from tunelab.bundles import load_bundle
    from tunelab.data import read_table
    from tunelab.entities import TunelabError

    try:
        if out.suffix.lower() not in (".csv", ".parquet"):
            _fail(f"--out {out}: use a .csv or .parquet file name")
        bundle = load_bundle(model_dir)
        frame = read_table(data_file)
        if proba:
            if not bundle.task.is_classification:
                _fail("--proba needs a classification model")
            result = bundle.predict_proba(frame)
            result.columns = [str(c) for c in result.columns]
        else:
            result = pd.DataFrame({"prediction": bundle.predict(frame)})
    except TunelabError as error:
        _fail(str(error))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        result.to_parquet(out, index=False)
    else:
        result.to_csv(out, index=False)
    typer.echo(f"wrote {len(result)} predictions to {out}")


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
