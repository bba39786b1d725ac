"""``/api/v1/me``, ``/users`` (admins), ``/tokens`` (own; admins: any), ``/audit`` (admins),
``/access/{kind}/{resource_id}`` (owner, visibility and named shares of a resource)."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tunelab.entities.auth import ResourceKind, Role, Scope, ShareLevel, Visibility
from tunelab.server.auth import service
from tunelab.server.auth.credentials import hash_password
from tunelab.server.deps import StoreDep
from tunelab.server.schemas import Limit, Offset

router = APIRouter(tags=["auth"])


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role = Role.VIEWER
    password: str | None = Field(default=None, min_length=8, max_length=1024)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    scope: Scope = Scope.READ
    expires_days: float | None = Field(default=None, gt=0, le=3650)
    user: str | None = None  # admins may create a token for another user


class AccessIn(BaseModel):
    visibility: Visibility | None = None
    shares: dict[str, ShareLevel] | None = None
    owner: str | None = None  # admins only: give the resource to this user


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """Who is calling: name, role and the token's scope (null for a browser session)."""
    principal = service.caller(request)
    scope = principal.scope.value if principal.scope else None
    return {"name": principal.name, "role": principal.role.value, "scope": scope}


@router.get("/users")
def list_users(store: StoreDep) -> list[dict[str, Any]]:
    return [
        {"name": u.name, "role": u.role.value, "disabled": u.disabled, "created_at": u.created_at}
        for u in store.list_users()
    ]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, request: Request, store: StoreDep) -> dict[str, Any]:
    password_hash = hash_password(body.password) if body.password else None
    user = store.create_user(body.name, body.role, password_hash=password_hash)
    service.audit(request, "user.add", user.name, user.role.value)
    return {"name": user.name, "role": user.role.value, "disabled": user.disabled}


@router.post("/users/{name}/disable")
def disable_user(name: str, request: Request, store: StoreDep) -> dict[str, Any]:
    user = store.set_user_disabled(name, True)
    service.forget(request)
    service.audit(request, "user.disable", name)
    return {"name": user.name, "role": user.role.value, "disabled": user.disabled}


@router.get("/tokens")
def list_tokens(request: Request, store: StoreDep, user: str | None = None) -> list[Any]:
    """The caller's tokens (an admin: everyone's, or ``user``'s)."""
    principal = service.caller(request)
    name = user if principal.is_admin else principal.name
    return [service.token_out(t) for t in store.list_tokens(name)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, request: Request, store: StoreDep) -> dict[str, Any]:
    """A new API token; ``token`` is in this answer only (the server keeps its hash)."""
    principal = service.caller(request)
    owner = body.user or principal.name
    if owner != principal.name and not principal.is_admin:
        raise HTTPException(403, "only admins create tokens for other users")
    token, stored = service.create_token(
        store, owner, body.name, scope=body.scope, expires_days=body.expires_days
    )
    service.audit(request, "token.create", stored.prefix, f"{owner} {stored.scope.value}")
    return {"token": token, **service.token_out(stored)}


@router.delete("/tokens/{prefix}")
def revoke_token(prefix: str, request: Request, store: StoreDep) -> dict[str, Any]:
    principal = service.caller(request)
    stored = store.revoke_token(prefix, user_id=None if principal.is_admin else principal.user_id)
    service.forget(request)
    service.audit(request, "token.revoke", prefix, stored.user_name)
    return service.token_out(stored)


@router.get("/audit")
def list_audit(store: StoreDep, limit: Limit = 100, offset: Offset = 0) -> list[Any]:
    """Sign-ins, token changes, deletions, deployments and alias moves, newest first."""
    return [
        {
            "id": e.id,
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
            "created_at": e.created_at,
        }
        for e in store.list_audit(limit=limit, offset=offset)
    ]


def _access_out(access: Any) -> dict[str, Any]:
    return {
        "kind": access.kind.value,
        "resource_id": access.resource_id,
        "owner": access.owner_name,
        "visibility": access.visibility.value,
        "shares": {name: level.value for name, level in access.shares.items()},
    }


async def _level(request: Request, kind: ResourceKind, resource_id: str) -> ShareLevel | None:
    principal = service.caller(request)
    store = request.app.state.store
    return await run_in_threadpool(store.permission, principal, kind, resource_id)


@router.get("/access/{kind}/{resource_id}")
async def get_access(
    kind: ResourceKind, resource_id: str, request: Request, store: StoreDep
) -> dict[str, Any]:
    """Owner, visibility (private / everyone) and named shares (read / edit)."""
    if await _level(request, kind, resource_id) is None:
        raise HTTPException(404, f"{kind.value} {resource_id!r} does not exist")
    return _access_out(await run_in_threadpool(store.get_access, kind, resource_id))


@router.put("/access/{kind}/{resource_id}")
async def set_access(
    kind: ResourceKind, resource_id: str, body: AccessIn, request: Request, store: StoreDep
) -> dict[str, Any]:
    """Share a resource with everyone or named users (its owner or an admin)."""
    level = await _level(request, kind, resource_id)
    if level is None:
        raise HTTPException(404, f"{kind.value} {resource_id!r} does not exist")
    access = await run_in_threadpool(store.get_access, kind, resource_id)
    principal = service.caller(request)
    if not principal.is_admin and access.owner_id != principal.user_id:
        raise HTTPException(403, "only the owner or an admin changes who may see this")
    if principal.scope is Scope.READ:
        raise HTTPException(403, "this token is read-only")
    if body.owner is not None and not principal.is_admin:
        raise HTTPException(403, "only admins give a resource to another owner")
    changed = await run_in_threadpool(
        lambda: store.set_access(
            kind, resource_id, visibility=body.visibility, shares=body.shares, owner=body.owner
        )
    )
    service.forget(request)
    service.audit(request, "access.set", f"{kind.value}/{resource_id}", changed.visibility.value)
    return _access_out(changed)
