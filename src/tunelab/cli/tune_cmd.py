"""``tunelab tune``: run a Katib Experiment locally, or export a search as Katib YAML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from tunelab.katib import ExperimentResult

EXIT_SUCCEEDED, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)


def tune(
    experiment: Annotated[
        Path | None, typer.Argument(help="Katib Experiment YAML (kubeflow.org/v1beta1).")
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Folder for per-trial working folders [OUT/trials].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (experiment.json) [runs/<name>].")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted experiment.")] = False,
    trial_timeout: Annotated[
        float, typer.Option(help="Seconds per trial when the template sets no deadline.")
    ] = 3600.0,
    export_katib: Annotated[
        Path | None, typer.Option(help="Write a cluster-ready Katib YAML here and exit.")
    ] = None,
    objective_command: Annotated[
        str | None, typer.Option(help="Export: the trial command, e.g. 'python train.py'.")
    ] = None,
    space: Annotated[
        Path | None, typer.Option(help="Export: search space YAML/JSON (see docs/katib.md).")
    ] = None,
    metric: Annotated[str, typer.Option(help="Export: objective metric name.")] = "accuracy",
    direction: Annotated[str, typer.Option(help="Export: maximize or minimize.")] = "maximize",
    algorithm: Annotated[str, typer.Option(help="Export: Katib algorithm name.")] = "tpe",
    max_trials: Annotated[int, typer.Option(help="Export: maxTrialCount.")] = 20,
    parallel_trials: Annotated[int, typer.Option(help="Export: parallelTrialCount.")] = 1,
    goal: Annotated[float | None, typer.Option(help="Export: objective goal.")] = None,
    name: Annotated[str, typer.Option(help="Export: experiment name.")] = "tunelab-search",
    image: Annotated[
        str, typer.Option(help="Export: container image.")
    ] = "docker.io/library/python:3.11-slim",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Run the trials as Ray tasks on this cluster."),
    ] = None,
) -> None:
    """Run a Katib Experiment on this machine (no Kubernetes), or export one."""
    from rich.console import Console

    console = Console()
    if export_katib is not None:
        _export(
            console,
            export_katib,
            objective_command,
            space,
            metric=metric,
            direction=direction,
            algorithm=algorithm,
            max_trials=max_trials,
            parallel_trials=parallel_trials,
            goal=goal,
            name=name,
            image=image,
        )
        return
    if experiment is None:
        console.print("[red]error:[/] give an EXPERIMENT.yaml (or --export-katib OUT.yaml)")
        raise typer.Exit(EXIT_INVALID)
    raise typer.Exit(_run(console, experiment, workdir, out, resume, trial_timeout, ray_address))


def _run(
    console: Console,
    experiment: Path,
    workdir: Path | None,
    out: Path | None,
    resume: bool,
    trial_timeout: float,
    ray_address: str | None = None,
) -> int:
    import optuna

    from tunelab.entities import ConfigError
    from tunelab.katib import KatibSpecError, load_experiment, run_experiment

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        spec = load_experiment(experiment)
    except KatibSpecError as exc:
        console.print(f"[red]invalid Katib Experiment[/] {experiment}:")
        for error in exc.errors:
            console.print(f"  {error}", markup=False)
        return EXIT_INVALID
    out_dir = out or Path("runs") / spec.name
    work = workdir or out_dir / "trials"
    try:
        result = run_experiment(
            spec,
            work,
            out_dir,
            resume=resume,
            console=console,
            trial_timeout=trial_timeout,
            source_dir=experiment.resolve().parent,
            ray_address=ray_address,
        )
    except KatibSpecError as exc:
        for error in exc.errors:
            console.print(f"[red]error:[/] {error}", markup=False)
        return EXIT_INVALID
    except ConfigError as exc:
        console.print(f"[red]error:[/] {exc}", markup=False)
        return EXIT_INVALID
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]; continue with --resume --out {out_dir}")
        return 130
    _report(console, result)
    return EXIT_SUCCEEDED if result.succeeded else EXIT_FAILED


def _report(console: Console, result: ExperimentResult) -> None:
    from rich.table import Table

    table = Table(title=f"Experiment {result.name}")
    table.add_column("trial")
    table.add_column("condition")
    params = [k for k, _ in result.trials[0].assignments] if result.trials else []
    metrics = [m.name for m in result.trials[0].metrics] if result.trials else []
    for column in params + metrics:
        table.add_column(column, justify="right")
    colors = {"Succeeded": "green", "Failed": "red", "MetricsUnavailable": "red"}
    for trial in result.trials:
        style = colors.get(trial.condition, "yellow")
        values = [v for _, v in trial.assignments]
        values += ["unavailable" if m.latest is None else f"{m.latest:.6g}" for m in trial.metrics]
        table.add_row(trial.name, f"[{style}]{trial.condition}[/]", *values)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", markup=True)
    cond = result.condition
    style = "green" if result.succeeded else "red"
    console.print(f"[{style}]{cond.type}[/] ({cond.reason}): {cond.message}")
    if result.optimal is not None:
        best = ", ".join(f"{k}={v}" for k, v in result.optimal.parameter_assignments)
        console.print(
            f"best trial [bold]{result.optimal.best_trial_name}[/]: "
            f"{result.optimal.value:.6g} with {best}"
        )
    console.print(f"results: {result.out_dir / 'experiment.json'}")


def _export(
    console: Console,
    path: Path,
    objective_command: str | None,
    space_file: Path | None,
    **options: Any,
) -> None:
    import json

    import yaml

    from tunelab.entities import ConfigError
    from tunelab.katib import export_katib
    from tunelab.katib.search import space_from_mapping

    if not objective_command or space_file is None:
        console.print("[red]error:[/] --export-katib needs --objective-command and --space")
        raise typer.Exit(EXIT_INVALID)
    try:
        text = space_file.read_text(encoding="utf-8")
        data = json.loads(text) if space_file.suffix == ".json" else yaml.safe_load(text)
        if not isinstance(data, dict):
            raise ConfigError(f"{space_file}: must hold a mapping of parameters")
        space = space_from_mapping(data.get("parameters", data))
        written = export_katib(path, space, objective_command=objective_command, **options)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        console.print(f"[red]error:[/] {exc}", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    console.print(f"wrote {written}")
