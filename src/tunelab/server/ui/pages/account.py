"""``/account/tokens`` (the caller's API tokens: create, shown once, revoke) and the admins'
``/admin/users`` page (users, disable, the audit log)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tunelab.entities.auth import Scope
from tunelab.server.auth import service as auth
from tunelab.server.auth.credentials import hash_password
from tunelab.server.deps import StoreDep
from tunelab.server.ui.rendering import render

router = APIRouter(include_in_schema=False)


def _tokens_page(
    request: Request, store: StoreDep, created: str | None = None, password_set: bool = False
) -> HTMLResponse:
    principal = auth.caller(request)
    tokens = store.list_tokens(principal.name)
    context = {"tokens": tokens, "created": created, "password_set": password_set}
    return render(request, "auth/tokens.html", context)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, store: StoreDep) -> HTMLResponse:
    return _tokens_page(request, store)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    store: StoreDep,
    name: Annotated[str, Form(min_length=1, max_length=128)],
    scope: Annotated[Scope, Form()] = Scope.READ,
    expires_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> HTMLResponse:
    principal = auth.caller(request)
    token, stored = auth.create_token(
        store, principal.name, name, scope=scope, expires_days=expires_days
    )
    auth.audit(request, "token.create", stored.prefix, f"{principal.name} {scope.value}")
    return _tokens_page(request, store, created=token)


@router.post("/account/tokens/{prefix}/revoke")
def revoke_token(prefix: str, request: Request, store: StoreDep) -> RedirectResponse:
    principal = auth.caller(request)
    store.revoke_token(prefix, user_id=principal.user_id)
    auth.forget(request)
    auth.audit(request, "token.revoke", prefix, principal.name)
    return RedirectResponse("/account/tokens", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
def set_password(
    request: Request,
    store: StoreDep,
    password: Annotated[str, Form(min_length=8, max_length=1024)],
) -> HTMLResponse:
    """Set (or change) the caller's password; their other sessions stay signed in."""
    principal = auth.caller(request)
    store.set_password_hash(principal.name, hash_password(password))
    auth.audit(request, "user.password", principal.name)
    return _tokens_page(request, store, password_set=True)


@router.get("/admin/users", response_class=HTMLResponse)
def admin_page(request: Request, store: StoreDep) -> HTMLResponse:
    context = {"users": store.list_users(), "events": store.list_audit(limit=200)}
    return render(request, "auth/admin.html", context)


@router.post("/admin/users/{name}/disable")
def disable_user(name: str, request: Request, store: StoreDep) -> RedirectResponse:
    store.set_user_disabled(name, True)
    auth.forget(request)
    auth.audit(request, "user.disable", name)
    return RedirectResponse("/admin/users", status_code=303)
