"""``tunelab serve`` (web server + local workers) and ``tunelab worker`` (a worker alone)."""

import contextlib
import os
import signal
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
MemoryOpt = Annotated[
    float | None,
    typer.Option(
        "--job-memory-mb",
        help="Memory limit of one job (all its processes) in MB; a job above it fails "
        "[TUNELAB_JOB_MEMORY_MB, else 60% of RAM shared by the workers].",
        min=1,
    ),
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
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="Another name the Host header may carry (repeatable; '*' for any)."),
    ] = None,
    job_memory_mb: MemoryOpt = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Run AutoML jobs' trials on this Ray cluster."),
    ] = None,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth", help="Single-user mode without sign-in (only on 127.0.0.1/localhost)."
        ),
    ] = False,
) -> None:
    """Run the web app (http://HOST:PORT) and REST API (/api/v1) plus WORKERS job workers
    (supervised: a worker that dies is replaced; /api/v1/health reports them)."""
    import tempfile

    import uvicorn

    from tunelab.server import create_app
    from tunelab.server.guard import LOCAL_HOSTS
    from tunelab.tracking import MetadataStore

    if no_auth and host not in LOCAL_HOSTS:
        typer.echo(f"error: --no-auth serves 127.0.0.1 only, not {host!r}", err=True)
        raise typer.Exit(2)
    _setup_logging()
    _use_ray(ray_address)  # the local workers inherit it
    settings = _settings(
        auth=False if no_auth else None,
        home=home,
        db_url=db,
        artifacts_url=artifacts,
        host=host,
        port=port,
        workers=workers,
        allowed_hosts=allowed_host or None,
        job_memory_mb=job_memory_mb,
    )
    if not settings.auth and host not in LOCAL_HOSTS:
        typer.echo(f"error: TUNELAB_AUTH=false serves 127.0.0.1 only, not {host!r}", err=True)
        raise typer.Exit(2)
    MetadataStore(settings.database_url).close()  # migrate once, before anyone else opens it
    owner = first_admin(settings, host, port) if settings.auth else None
    if settings.auth:
        adopt_ownerless(settings)
    if sample and (experiment_id := seed_sample(settings, owner)) is not None:
        typer.echo(f"added the sample experiment {experiment_id} (credit-g, target 'class')")
    with tempfile.TemporaryDirectory(prefix="tunelab-workers-") as run_dir:
        supervisor = _supervisor(settings, workers, Path(run_dir))
        supervisor.start()
        typer.echo(f"tunelab serving on http://{host}:{port} with {workers} worker(s)")
        try:
            uvicorn.run(
                create_app(settings, supervisor=supervisor),
                host=host,
                port=port,
                log_level="warning",
            )
        finally:
            supervisor.stop()


def _supervisor(settings: Any, workers: int, run_dir: Path) -> Any:
    """The supervisor of ``workers`` local workers; a dead worker's leases end at once."""
    from tunelab.jobs import WorkerSupervisor, default_memory_limit_mb
    from tunelab.tracking import MetadataStore

    memory = settings.job_memory_mb or default_memory_limit_mb(workers)

    def command(worker_id: str, heartbeat_file: Path) -> list[str]:
        return [
            *[sys.executable, "-m", "tunelab.cli.platform_cmd", "worker"],
            *["--db", settings.database_url, "--artifacts", settings.artifacts_location],
            *["--worker-id", worker_id, "--heartbeat-file", str(heartbeat_file)],
            *["--parent-pid", str(os.getpid()), "--job-memory-mb", str(memory)],
        ]

    def release(worker_id: str) -> None:
        with MetadataStore(settings.database_url) as store:
            if store.expire_leases_of(worker_id):
                typer.echo(f"the jobs of worker {worker_id} go to the next worker")

    return WorkerSupervisor(workers, command, run_dir, on_exit=release, env=os.environ.copy())


FIRST_ADMIN = "admin"


def first_admin(settings: Any, host: str, port: int) -> Any:
    """With no user yet, add ``admin`` and print a one-time login link (as Jupyter prints
    its token); returns the admin as a principal (the sample experiment's owner), or None."""
    from tunelab.entities.auth import Principal, Role
    from tunelab.server.auth import service
    from tunelab.tracking import MetadataStore

    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    with MetadataStore(settings.database_url) as store:
        if store.list_users():
            found = store.password_hash(FIRST_ADMIN)
            if found is not None and found[1] is None and not found[0].disabled:
                secret = service.login_link(store, FIRST_ADMIN)  # still no password: a new link
                typer.echo(f"sign in as {FIRST_ADMIN!r} (no password set yet) once (24 h) at")
                typer.echo(f"    http://{shown}:{port}/login/link/{secret}")
            return None
        user = store.create_user(FIRST_ADMIN, Role.ADMIN)
        secret = service.login_link(store, user.name)
        store.record_audit("serve", "user.add", user.name, "first start")
    typer.echo(f"first start: added the admin user {user.name!r}; sign in once (24 h) at")
    typer.echo(f"    http://{shown}:{port}/login/link/{secret}")
    typer.echo("then set a password and create tokens there, or add users: tunelab users add")
    return Principal(user.id, user.name, user.role)


def adopt_ownerless(
    settings: Any, user_name: str | None = None, *, actor: str = "serve"
) -> dict[str, int]:
    """Give the resources without an owner (made before auth was on) to ``user_name``, by
    default the first admin (the oldest active one); logged in the audit log and printed."""
    from tunelab.entities.auth import Role
    from tunelab.tracking import MetadataStore

    with MetadataStore(settings.database_url) as store:
        if user_name is None:
            admins = [u for u in store.list_users() if u.role is Role.ADMIN and not u.disabled]
            if not admins:
                return {}
            user_name = min(admins, key=lambda u: u.created_at).name
        counts = {kind.value: n for kind, n in store.adopt_ownerless(user_name).items()}
        if counts:
            detail = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            store.record_audit(actor, "ownership.adopt", user_name, detail)
            typer.echo(f"gave {detail} without an owner (made before sign-in) to {user_name!r}")
    return counts


SAMPLE_NAME = "credit-g"
SAMPLE_TARGET = "class"


def seed_sample(settings: Any, owner: Any = None) -> str | None:
    """With no dataset and no experiment in the store, add the credit-g sample dataset and a
    ``ready`` experiment on it (target ``class``), owned by ``owner`` (a principal) when given;
    returns its id, or None if not empty."""
    from tunelab.entities.auth import acting_user

    token = acting_user.set(owner)
    try:
        return _seed_sample(settings)
    finally:
        acting_user.reset(token)


def _seed_sample(settings: Any) -> str | None:
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
    job_memory_mb: MemoryOpt = None,
    worker_id: Annotated[str | None, typer.Option(hidden=True)] = None,
    heartbeat_file: Annotated[Path | None, typer.Option(hidden=True)] = None,
    parent_pid: Annotated[int | None, typer.Option(hidden=True)] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Run AutoML jobs' trials on this Ray cluster."),
    ] = None,
) -> None:
    """Run one job worker until SIGTERM/SIGINT (a running job goes back to the queue).

    Each job runs in a child process, killed when it exceeds the memory limit or does not
    stop within TUNELAB_CANCEL_GRACE_SECONDS of a cancel."""
    from tunelab.jobs import default_memory_limit_mb, run_worker
    from tunelab.server.config import apply_data_limits

    if parent_pid is not None:  # started by ``serve``: lower priority, die with it
        _die_with_parent(parent_pid)
    _setup_logging()
    _use_ray(ray_address)
    settings = _settings(
        home=home, db_url=db, artifacts_url=artifacts, job_memory_mb=job_memory_mb
    )
    apply_data_limits(settings)
    run_worker(
        settings.database_url,
        settings.artifacts_location,
        storage_options=settings.artifacts_options,
        lease_seconds=settings.lease_seconds,
        worker_id=worker_id,
        memory_limit_mb=settings.job_memory_mb or default_memory_limit_mb(1),
        cancel_grace=settings.cancel_grace_seconds,
        heartbeat_file=heartbeat_file,
    )


# Local workers run at a lower CPU priority than the web server they were started with, so
# pages and the health check stay responsive while AutoML keeps every core busy.
WORKER_NICENESS = 5


def _die_with_parent(parent_pid: int) -> None:
    """A worker of ``serve``: a lower priority, and SIGTERM when ``serve`` dies."""
    from tunelab._lifeline import die_with_parent

    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    die_with_parent(parent_pid, signal.SIGTERM)


def main() -> None:
    """``python -m tunelab.cli.platform_cmd serve|worker ...`` (what ``serve`` spawns)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
