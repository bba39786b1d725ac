"""Sign-in pages: ``/login`` (form), ``/login/link/{secret}`` (one-time link), ``/logout``."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tunelab.server.auth import SESSION_COOKIE
from tunelab.server.auth import service as auth
from tunelab.server.auth.credentials import digest, verify_password
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.ui.rendering import render

router = APIRouter(include_in_schema=False)


def _local(target: str) -> str:
    """Only a path on this server (no ``//host`` or scheme): no open redirect."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


def _signed_in(request: Request, user_name: str, settings: SettingsDep, target: str) -> Response:
    secret = auth.start_session(request.app.state.store, user_name, settings.session_days)
    response = RedirectResponse(_local(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.session_days * 86400),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "auth/login.html", {"next": _local(next), "error": False})


@router.post("/login", response_model=None)
async def login(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    found = await run_in_threadpool(store.password_hash, name)
    user, password_hash = found if found is not None else (None, None)
    good = await run_in_threadpool(verify_password, password, password_hash)
    if user is None or user.disabled or not good:
        await run_in_threadpool(store.record_audit, name[:64], "sign-in.failed")
        context = {"next": _local(next), "error": True}
        return render(request, "auth/login.html", context, status_code=401)
    await run_in_threadpool(store.record_audit, user.name, "sign-in")
    return _signed_in(request, user.name, settings, next)


@router.get("/login/link/{secret}", response_model=None)
def login_link(secret: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """The one-time link ``tunelab serve`` prints on first start (used up when opened)."""
    user = store.consume_link(digest(secret))
    if user is None:
        return RedirectResponse("/login", status_code=303)
    store.record_audit(user.name, "sign-in.link")
    return _signed_in(request, user.name, settings, "/account/tokens")


@router.post("/logout", response_model=None)
def logout(request: Request, store: StoreDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        store.delete_session(digest(secret))
        auth.forget(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
