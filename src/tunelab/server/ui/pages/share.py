"""``/share/{kind}/{resource_id}``: who owns a resource, and (its owner or an admin) sharing it
with everyone or named users (read / edit)."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tunelab.entities.auth import Access, ResourceKind, ShareLevel, Visibility
from tunelab.entities.errors import TunelabError
from tunelab.server.auth import service as auth
from tunelab.server.deps import StoreDep
from tunelab.server.ui.rendering import render

router = APIRouter(include_in_schema=False)


def _access(request: Request, store: StoreDep, kind: ResourceKind, resource_id: str) -> Access:
    principal = auth.caller(request)
    if store.permission(principal, kind, resource_id) is None:
        raise HTTPException(404, f"{kind.value} {resource_id!r} does not exist")
    return store.get_access(kind, resource_id)


def _page(request: Request, access: Access, error: str = "", status: int = 200) -> HTMLResponse:
    principal = auth.caller(request)
    may_change = principal.is_admin or access.owner_id == principal.user_id
    context = {"access": access, "may_change": may_change, "error": error}
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


@router.post("/share/{kind}/{resource_id}", response_model=None)
def share(
    kind: ResourceKind,
    resource_id: str,
    request: Request,
    store: StoreDep,
    visibility: Annotated[Visibility, Form()],
    shares: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    access = _access(request, store, kind, resource_id)
    principal = auth.caller(request)
    if not principal.is_admin and access.owner_id != principal.user_id:
        raise HTTPException(403, "only the owner or an admin changes who may see this")
    try:
        changed = store.set_access(
            kind, resource_id, visibility=visibility, shares=parse_shares(shares)
        )
    except (TunelabError, ValueError) as exc:
        return _page(request, access, str(exc), 422)
    auth.forget(request)
    auth.audit(request, "access.set", f"{kind.value}/{resource_id}", changed.visibility.value)
    return RedirectResponse(f"/share/{kind.value}/{resource_id}", status_code=303)
