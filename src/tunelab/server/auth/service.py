"""What the auth views and pages share: the caller, tokens, sessions, login links, audit."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import HTTPException, Request

from tunelab.entities.auth import ApiToken, Principal, Scope
from tunelab.server.auth.credentials import digest, new_secret, new_token
from tunelab.tracking import MetadataStore

LINK_LIFETIME = timedelta(hours=24)


def caller(request: Request) -> Principal:
    """The signed-in caller (400 in single-user mode, where there are no users)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(400, "single-user mode (no auth) has no users or tokens")
    return principal


def forget(request: Request) -> None:
    """Drop cached principals and permissions after a local change (revoke, share...)."""
    cache = getattr(request.app.state, "auth_cache", None)
    if cache is not None:
        cache.clear()


def create_token(
    store: MetadataStore,
    user_name: str,
    name: str,
    *,
    scope: Scope = Scope.READ,
    expires_days: float | None = None,
) -> tuple[str, ApiToken]:
    """A new token: ``(the secret, shown once; what is stored about it)``."""
    token, prefix, token_digest = new_token()
    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    stored = store.create_token(
        user_name, name, scope=scope, prefix=prefix, digest=token_digest, expires_at=expires
    )
    return token, stored


def start_session(store: MetadataStore, user_name: str, days: float) -> str:
    """A new browser session; returns the cookie value (only its digest is stored)."""
    secret = new_secret()
    store.create_session(user_name, digest(secret), lifetime=timedelta(days=days))
    return secret


def login_link(store: MetadataStore, user_name: str) -> str:
    """The secret of a one-time login link (``/login/link/<secret>``), valid 24 hours."""
    secret = new_secret()
    store.create_session(user_name, digest(secret), kind="link", lifetime=LINK_LIFETIME)
    return secret


def audit(request: Request, action: str, target: str = "", detail: str = "") -> None:
    principal = getattr(request.state, "principal", None)
    actor = principal.name if principal is not None else "local"
    request.app.state.store.record_audit(actor, action, target, detail)


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "prefix": token.prefix,
        "user": token.user_name,
        "name": token.name,
        "scope": token.scope.value,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked": token.revoked,
        "last_used_at": token.last_used_at,
    }
