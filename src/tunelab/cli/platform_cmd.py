"""``tunelab serve`` (web server + local workers) and ``tunelab worker`` (a worker alone)."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

HomeOpt = Annotated[
    Path | None, typer.Option(help="Folder of the SQLite file and local artifacts [~/.tunelab].")
]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="Metadata DB URL (sqlite:///... or postgresql://...).")
]
ArtifactsOpt = Annotated[
    str | None, typer.Option("--artifacts", help="Artifact store URL (folder or s3://b/prefix).")
]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)


def _settings(**options: Any) -> Any:
    from tunelab.server import ServerSettings

    return ServerSettings(**{k: v for k, v in options.items() if v is not None})


def _setup_logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Local worker processes to start.", min=0)] = 1,
    home: HomeOpt = None,
    db: DbOpt = None,
    artifacts: ArtifactsOpt = None,
    sample: Annotated[
        bool, typer.Option(help="On first start (empty store) add a ready sample experiment.")
    ] = True,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Run AutoML jobs' trials on this Ray cluster."),
    ] = None,
) -> None:
    """Run the web app (http://HOST:PORT) and REST API (/api/v1) plus WORKERS job workers."""
    import uvicorn

    from tunelab.server import create_app
    from tunelab.tracking import MetadataStore

    _setup_logging()
    _use_ray(ray_address)  # the local workers inherit it
    settings = _settings(
        home=home, db_url=db, artifacts_url=artifacts, host=host, port=port, workers=workers
    )
    MetadataStore(settings.database_url).close()  # migrate once, before anyone else opens it
    if sample and (experiment_id := seed_sample(settings)) is not None:
        typer.echo(f"added the sample experiment {experiment_id} (credit-g, target 'class')")
    children = [
        _spawn_worker(settings.database_url, settings.artifacts_location) for _ in range(workers)
    ]
    typer.echo(f"tunelab serving on http://{host}:{port} with {workers} worker(s)")
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        _stop(children)


SAMPLE_NAME = "credit-g"
SAMPLE_TARGET = "class"


def seed_sample(settings: Any) -> str | None:
    """With no dataset and no experiment in the store, add the credit-g sample dataset and a
    ``ready`` experiment on it (target ``class``); returns its id, or None if not empty."""
    from tunelab.artifacts import ArtifactStore
    from tunelab.server.datasets.samples import create_sample_dataset
    from tunelab.tracking import MetadataStore

    with MetadataStore(settings.database_url) as store:
        if store.list_experiments(limit=1) or store.list_datasets(limit=1):
            return None
        artifacts = ArtifactStore(settings.artifacts_location, settings.artifacts_options)
        dataset_id, _job_id = create_sample_dataset(store, artifacts, SAMPLE_NAME)
        experiment = store.create_experiment(
            dataset_id=dataset_id,
            target=SAMPLE_TARGET,
            name="German credit risk (sample)",
            task=None,
            metric=None,
            settings={},
        )
        return experiment.id


def _use_ray(ray_address: str | None) -> None:
    """Have this process's AutoML jobs (and its workers') run trials on ``ray_address``."""
    if ray_address:
        from tunelab.executors import RAY_ADDRESS_ENV

        os.environ[RAY_ADDRESS_ENV] = ray_address


def worker(
    home: HomeOpt = None,
    db: DbOpt = None,
    artifacts: ArtifactsOpt = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Run AutoML jobs' trials on this Ray cluster."),
    ] = None,
) -> None:
    """Run one job worker until SIGTERM/SIGINT (a running job goes back to the queue)."""
    from tunelab.jobs import run_worker

    _setup_logging()
    _use_ray(ray_address)
    settings = _settings(home=home, db_url=db, artifacts_url=artifacts)
    run_worker(
        settings.database_url,
        settings.artifacts_location,
        storage_options=settings.artifacts_options,
        lease_seconds=settings.lease_seconds,
    )


# Local workers run at a lower CPU priority than the web server they were started with, so
# pages and the health check stay responsive while AutoML keeps every core busy.
WORKER_NICENESS = 5


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    os.nice(WORKER_NICENESS)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _spawn_worker(db_url: str, artifacts_url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tunelab.cli.platform_cmd", "worker"]
    command += ["--db", db_url, "--artifacts", artifacts_url]
    preexec = _die_with_parent if sys.platform == "linux" else None  # also lowers priority
    return subprocess.Popen(command, env=os.environ.copy(), preexec_fn=preexec)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> None:
    """``python -m tunelab.cli.platform_cmd serve|worker ...`` (what ``serve`` spawns)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
