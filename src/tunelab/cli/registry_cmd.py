"""``tunelab registry ...``: registered models, versions and aliases on a tunelab server."""

import json
from typing import Annotated, Any

import typer

UrlOpt = Annotated[str, typer.Option("--url", envvar="TUNELAB_URL", help="The tunelab server.")]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="TUNELAB_API_TOKEN", help="API token (if set)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the server's JSON answer.")]
DEFAULT_URL = "http://127.0.0.1:8000"

registry = typer.Typer(
    help="Registered models, versions and aliases (promote / roll back) on a server.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(registry, name="registry")


def _client(url: str, token: str | None) -> Any:
    from tunelab.client import Client

    return Client(url, token=token)


def _run(url: str, token: str | None, call: Any) -> Any:
    """Run ``call(client)``; a refusal or an unreachable server exits 1 with its reason."""
    import httpx

    from tunelab.entities.errors import TunelabError

    try:
        with _client(url, token) as client:
            return call(client)
    except TunelabError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except httpx.TransportError as exc:
        typer.echo(f"error: cannot reach {url}: {exc}", err=True)
        raise typer.Exit(1) from exc


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@registry.command("list")
def list_models(
    url: UrlOpt = DEFAULT_URL, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Registered models with their latest version and aliases."""
    items = _run(url, token, lambda c: c.list_registered_models())
    if as_json:
        _echo_json(items)
        return
    if not items:
        typer.echo("no registered models")
    for item in items:
        aliases = " ".join(f"@{a}={v}" for a, v in sorted(item["aliases"].items()))
        latest = item["latest_version"] or "-"
        typer.echo(f"{item['name']}  latest={latest}  {aliases}".rstrip())


@registry.command("show")
def show(
    name: str, url: UrlOpt = DEFAULT_URL, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """A model's versions (metrics, lineage, aliases) and the history of alias moves."""
    data = _run(url, token, lambda c: c.get_registered_model(name))
    if as_json:
        _echo_json(data)
        return
    typer.echo(f"{data['name']}: {data['description']}".rstrip(": "))
    typer.echo("versions:")
    for v in data["versions"]:
        aliases = " ".join(f"@{a}" for a in v["aliases"])
        experiment = v["lineage"].get("experiment_id") or "-"
        typer.echo(
            f"  {v['version']}  model={v['model_id']}  experiment={experiment}  {aliases}".rstrip()
        )
    typer.echo("history:")
    for e in data["history"]:
        before = "-" if e["from_version"] is None else e["from_version"]
        after = "-" if e["to_version"] is None else e["to_version"]
        typer.echo(f"  {e['created_at']}  @{e['alias']}: {before} -> {after}  by {e['actor']}")


@registry.command("create")
def create(
    name: str,
    description: Annotated[str, typer.Option(help="What the model is for.")] = "",
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
) -> None:
    """Create a registered model."""
    _run(url, token, lambda c: c.create_registered_model(name, description=description))
    typer.echo(f"created {name}")


@registry.command("add-version")
def add_version(
    name: str, model_id: str, url: UrlOpt = DEFAULT_URL, token: TokenOpt = None
) -> None:
    """Register MODEL_ID as the next version of NAME."""
    version = _run(url, token, lambda c: c.add_model_version(name, model_id))
    typer.echo(f"{name}/{version}")


@registry.command("set-alias")
def set_alias(
    name: str, alias: str, version: int, url: UrlOpt = DEFAULT_URL, token: TokenOpt = None
) -> None:
    """Point ALIAS at VERSION (promote or roll back); deployments following it switch."""
    event = _run(url, token, lambda c: c.set_alias(name, alias, version))
    before = event["from_version"]
    typer.echo(f"{name}@{alias}: {'-' if before is None else before} -> {version}")


@registry.command("delete-alias")
def delete_alias(name: str, alias: str, url: UrlOpt = DEFAULT_URL, token: TokenOpt = None) -> None:
    """Remove ALIAS (refused while a deployment's traffic names it)."""
    _run(url, token, lambda c: c.delete_alias(name, alias))
    typer.echo(f"deleted {name}@{alias}")
