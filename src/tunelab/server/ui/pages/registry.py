"""Registry pages: ``/registry`` (registered models) and ``/registry/{name}`` (versions with
metrics and alias badges, promote / roll back by moving an alias, the history of moves)."""

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tunelab.entities.errors import TunelabError, public_message
from tunelab.entities.registry import check_alias
from tunelab.server.deployments.service import _flat_metrics
from tunelab.server.deps import PredictorsDep, StoreDep
from tunelab.server.ui.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/registry", response_class=HTMLResponse)
def registry_page(request: Request, store: StoreDep) -> HTMLResponse:
    return render(request, "registry/list.html", {"models": store.list_registered_models()})


def _detail(store: Any, name: str, error: str | None = None) -> dict[str, Any]:
    versions = store.list_model_versions(name)
    metrics = {v.version: _flat_metrics(v.metrics) for v in versions}
    names = sorted({m for flat in metrics.values() for m in flat})
    return {
        "model": store.get_registered_model(name),
        "versions": versions,
        "metrics": metrics,
        "metric_names": names,
        "history": store.alias_history(name),
        "error": error,
    }


@router.get("/registry/{name}", response_class=HTMLResponse)
def registered_model_page(name: str, request: Request, store: StoreDep) -> HTMLResponse:
    return render(request, "registry/detail.html", _detail(store, name))


@router.post("/registry/{name}/alias", response_model=None)
def move_alias(
    name: str,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
    alias: str = Form(...),
    version: int = Form(...),
) -> HTMLResponse | RedirectResponse:
    """Promote or roll back: point ``alias`` at ``version`` as the REST call does (the
    deployments following it switch after the new bundle is loaded)."""
    try:
        check_alias(alias)
        target = store.get_model_version(name, version)
        predictors.for_model(target.model_id)
        traffic = request.app.state.traffic
        plans = traffic.prepare_alias_move(name, alias, version)
        store.set_alias(name, alias, version)
        for plan in plans:
            traffic.swap(plan)
    except TunelabError as exc:
        return render(
            request, "registry/detail.html", _detail(store, name, public_message(exc)), 409
        )
    return RedirectResponse(f"/registry/{name}", status_code=303)


@router.post("/registry/{name}/alias/{alias}/delete", response_model=None)
def remove_alias(
    name: str, alias: str, request: Request, store: StoreDep
) -> HTMLResponse | RedirectResponse:
    try:
        store.delete_alias(name, alias)
    except TunelabError as exc:
        return render(
            request, "registry/detail.html", _detail(store, name, public_message(exc)), 409
        )
    return RedirectResponse(f"/registry/{name}", status_code=303)
