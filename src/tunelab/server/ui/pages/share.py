"""``/share/{kind}/{resource_id}``: who owns a resource, and (its owner or an admin) sharing it
with everyone or named users (read / edit)."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tunelab.entities.auth import Access, ResourceKind, ShareLevel, Visibility
from tunelab.entities.errors import TunelabError
from tunelab.server.auth import service as auth
from tunelab.server.deps import StoreDep
from tunelab.server.ui.rendering import render, render_fragment

router = APIRouter(include_in_schema=False)


def _access(request: Request, store: StoreDep, kind: ResourceKind, resource_id: str) -> Access:
    principal = auth.caller(request)
    if store.permission(principal, kind, resource_id) is None:
        raise HTTPException(404, f"{kind.value} {resource_id!r} does not exist")
    return store.get_access(kind, resource_id)


def _page(
    request: Request,
    access: Access,
    error: str = "",
    status: int = 200,
    *,
    dialog: bool = False,
    saved: bool = False,
) -> HTMLResponse:
    """The share page, or (``dialog``) its body alone for the resource pages' dialog."""
    principal = auth.caller(request)
    may_change = principal.is_admin or access.owner_id == principal.user_id
    context = {"access": access, "may_change": may_change, "error": error, "saved": saved}
    if dialog:
        return render_fragment(request, "auth/_share.html", context, status)
    return render(request, "auth/share.html", context, status)


def parse_shares(text: str) -> dict[str, ShareLevel]:
    """``"ana edit\\nbo read"`` -> ``{"ana": EDIT, "bo": READ}`` (level defaults to read)."""
    shares = {}
    for line in text.splitlines():
        parts = line.split()
        if parts:
            shares[parts[0]] = ShareLevel(parts[1] if len(parts) > 1 else "read")
    return shares


@router.get("/share/{kind}/{resource_id}", response_class=HTMLResponse)
def share_page(
    kind: ResourceKind, resource_id: str, request: Request, store: StoreDep
) -> HTMLResponse:
    return _page(request, _access(request, store, kind, resource_id))


@router.get("/share/{kind}/{resource_id}/dialog", response_class=HTMLResponse)
def share_dialog(
    kind: ResourceKind, resource_id: str, request: Request, store: StoreDep
) -> HTMLResponse:
    """The sharing dialog's body (loaded by share.js on the resource pages)."""
    return _page(request, _access(request, store, kind, resource_id), dialog=True)


def _save(
    request: Request,
    store: StoreDep,
    kind: ResourceKind,
    resource_id: str,
    visibility: Visibility,
    shares: str,
) -> tuple[Access, str]:
    """Change who may see a resource (its owner or an admin); ``(access, error)``."""
    access = _access(request, store, kind, resource_id)
    principal = auth.caller(request)
    if not principal.is_admin and access.owner_id != principal.user_id:
        raise HTTPException(403, "only the owner or an admin changes who may see this")
    try:
        changed = store.set_access(
            kind, resource_id, visibility=visibility, shares=parse_shares(shares)
        )
    except (TunelabError, ValueError) as exc:
        return access, str(exc)
    auth.forget(request)
    auth.audit(request, "access.set", f"{kind.value}/{resource_id}", changed.visibility.value)
    return changed, ""


@router.post("/share/{kind}/{resource_id}", response_model=None)
def share(
    kind: ResourceKind,
    resource_id: str,
    request: Request,
    store: StoreDep,
    visibility: Annotated[Visibility, Form()],
    shares: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    access, error = _save(request, store, kind, resource_id, visibility, shares)
    if error:
        return _page(request, access, error, 422)
    return RedirectResponse(f"/share/{kind.value}/{resource_id}", status_code=303)


@router.post("/share/{kind}/{resource_id}/dialog", response_class=HTMLResponse)
def share_from_dialog(
    kind: ResourceKind,
    resource_id: str,
    request: Request,
    store: StoreDep,
    visibility: Annotated[Visibility, Form()],
    shares: Annotated[str, Form(max_length=10_000)] = "",
) -> HTMLResponse:
    """Save from the dialog: its body again, saying it was saved (or what was wrong)."""
    access, error = _save(request, store, kind, resource_id, visibility, shares)
    return _page(request, access, error, 422 if error else 200, dialog=True, saved=not error)
