"""``tunelab users add|list|disable`` and ``tunelab tokens create|list|revoke`` (on the
metadata store directly, as ``tunelab serve`` opens it: ``--home`` / ``--db``)."""

import sys
from typing import Annotated, Any

import typer

from tunelab.cli.platform_cmd import DbOpt, HomeOpt

users_app = typer.Typer(help="Users of the web app and API (admin, editor, viewer).")
tokens_app = typer.Typer(help="API tokens (Authorization: Bearer TOKEN).")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")


def _store(home: Any, db: str | None) -> Any:
    from tunelab.server import ServerSettings
    from tunelab.tracking import MetadataStore

    options = {k: v for k, v in {"home": home, "db_url": db}.items() if v is not None}
    return MetadataStore(ServerSettings(**options).database_url)


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option("--role", help="admin | editor | viewer")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Add a user (without --password-stdin: prints a one-time login link secret)."""
    from tunelab.entities.auth import Role
    from tunelab.entities.errors import TunelabError
    from tunelab.server.auth import service
    from tunelab.server.auth.credentials import hash_password

    if role not in {r.value for r in Role}:
        _fail(ValueError(f"--role must be admin, editor or viewer, not {role!r}"))
    password_hash = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            _fail(ValueError("the password needs at least 8 characters"))
        password_hash = hash_password(password)
    with _store(home, db) as store:
        try:
            store.create_user(name, Role(role), password_hash=password_hash)
        except TunelabError as exc:
            _fail(exc)
        store.record_audit("cli", "user.add", name, role)
        typer.echo(f"added {role} {name}")
        if password_hash is None:
            secret = service.login_link(store, name)
            typer.echo(f"one-time login link (24 h): /login/link/{secret}")


@users_app.command("list")
def users_list(home: HomeOpt = None, db: DbOpt = None) -> None:
    """Every user: name, role, disabled."""
    with _store(home, db) as store:
        for user in store.list_users():
            state = "disabled" if user.disabled else "active"
            typer.echo(f"{user.name}\t{user.role.value}\t{state}")


@users_app.command("disable")
def users_disable(name: str, home: HomeOpt = None, db: DbOpt = None) -> None:
    """Disable a user: their sessions end, their tokens stop working."""
    from tunelab.entities.errors import TunelabError

    with _store(home, db) as store:
        try:
            store.set_user_disabled(name, True)
        except TunelabError as exc:
            _fail(exc)
        store.record_audit("cli", "user.disable", name)
        typer.echo(f"disabled {name}")


@users_app.command("adopt")
def users_adopt(name: str, home: HomeOpt = None, db: DbOpt = None) -> None:
    """Give every resource without an owner (made before sign-in existed) to NAME
    (``tunelab serve`` gives them to the first admin on its own)."""
    from tunelab.cli.platform_cmd import adopt_ownerless
    from tunelab.entities.errors import TunelabError
    from tunelab.server import ServerSettings

    options: dict[str, Any] = {"home": home, "db_url": db}
    settings = ServerSettings(**{k: v for k, v in options.items() if v is not None})
    try:
        counts = adopt_ownerless(settings, name, actor="cli")
    except TunelabError as exc:
        _fail(exc)
    if not counts:
        typer.echo("every resource has an owner")


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option("--user", help="The token's user.")],
    name: Annotated[str, typer.Option("--name", help="A label for the token.")],
    scope: Annotated[str, typer.Option("--scope", help="read | write | predict")] = "read",
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Days until it expires.")
    ] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Create a token and print it (once: only its hash is kept)."""
    from tunelab.entities.auth import Scope
    from tunelab.entities.errors import TunelabError
    from tunelab.server.auth import service

    if scope not in {s.value for s in Scope}:
        _fail(ValueError(f"--scope must be read, write or predict, not {scope!r}"))
    with _store(home, db) as store:
        try:
            token, stored = service.create_token(
                store, user, name, scope=Scope(scope), expires_days=expires_days
            )
        except TunelabError as exc:
            _fail(exc)
        store.record_audit("cli", "token.create", stored.prefix, f"{user} {scope}")
        typer.echo(token)


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Tokens: prefix, user, name, scope, expiry, state (never the token)."""
    with _store(home, db) as store:
        for t in store.list_tokens(user):
            expires = t.expires_at.date().isoformat() if t.expires_at else "never"
            state = "revoked" if t.revoked else "active"
            typer.echo(f"{t.prefix}\t{t.user_name}\t{t.name}\t{t.scope.value}\t{expires}\t{state}")


@tokens_app.command("revoke")
def tokens_revoke(prefix: str, home: HomeOpt = None, db: DbOpt = None) -> None:
    """Revoke a token by its first 8 characters (as ``tokens list`` shows)."""
    from tunelab.entities.errors import TunelabError

    with _store(home, db) as store:
        try:
            token = store.revoke_token(prefix)
        except TunelabError as exc:
            _fail(exc)
        store.record_audit("cli", "token.revoke", prefix, token.user_name)
        typer.echo(f"revoked {prefix} ({token.user_name}: {token.name})")
