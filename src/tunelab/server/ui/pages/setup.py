"""The Setup page: general settings, advanced settings, data split and sampling; Save/Start."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import ConflictError, ExperimentStatus
from tunelab.server.config import ServerSettings
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.experiments import service
from tunelab.server.experiments.schemas import ExperimentPatch
from tunelab.server.experiments.views import patch_experiment
from tunelab.server.ui.choices import algorithm_choices, metrics_by_task
from tunelab.server.ui.i18n import request_language, translate
from tunelab.server.ui.pages import _setup_form as setup_form
from tunelab.server.ui.rendering import render
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

_MULTI = ("algorithms", "feature_engineering")


def page_context(
    store: MetadataStore, experiment_id: str, ray_addresses: list[str]
) -> dict[str, Any]:
    experiment = service.reconcile(store, store.get_experiment(experiment_id))
    dataset = store.get_dataset(experiment.dataset_id)
    profile = dataset.profile or {}
    columns = [
        {
            "name": str(c.get("name")),
            "kind": c.get("kind"),
            "min": c.get("min"),
            "max": c.get("max"),
        }
        for c in profile.get("columns", [])
    ]
    return {
        "experiment": experiment,
        "dataset": dataset,
        "columns": columns,
        "profiled": bool(profile),
        "values": setup_form.form_values(experiment),
        "errors": {},
        "guessed_task": service.guess_task(store, experiment.dataset_id, experiment.target),
        "metrics_by_task": metrics_by_task(),
        "algorithms": algorithm_choices(),
        "form": setup_form,
        "ray_addresses": ray_addresses,  # the operator's clusters: the only ones offered
        "active": "setup",
        "locked": experiment.status is ExperimentStatus.RUNNING,
    }


@router.get("/experiments/{experiment_id}/setup", response_class=HTMLResponse)
async def setup_page(
    request: Request, experiment_id: str, store: StoreDep, server: SettingsDep
) -> HTMLResponse:
    context = await run_in_threadpool(page_context, store, experiment_id, server.ray_address)
    lang = request_language(request)
    if request.query_params.get("saved"):
        context["messages"] = [{"level": "success", "text": translate(lang, "setup.saved")}]
    excluded = request.query_params.get("excluded")
    if excluded and excluded.isdigit():
        text = translate(lang, "dataset.leakage_excluded", n=int(excluded))
        context["messages"] = [{"level": "success", "text": text}]
    return render(request, "setup/page.html", context)


def _save_and_maybe_start(
    store: MetadataStore,
    server: ServerSettings,
    experiment_id: str,
    form: dict[str, Any],
    start: bool,
) -> None:
    body = ExperimentPatch.model_validate(
        {**setup_form.patch_body(form), "version": int(form.get("version") or 0) or None}
    )
    patch_experiment(experiment_id, body, store, server, if_match=None)
    if start:
        service.start(store, experiment_id, server.ray_address)


@router.post("/experiments/{experiment_id}/setup", response_class=HTMLResponse)
async def save_setup(
    request: Request,
    experiment_id: str,
    store: StoreDep,
    server: SettingsDep,
    action: Annotated[str, Form()] = "save",
) -> Response:
    """Save the form (the REST rules apply); Start also queues the run and opens the Run page.

    A bad value comes back next to its field with everything the user typed kept.
    """
    raw = await request.form()
    form: dict[str, Any] = {k: raw.get(k) for k in raw if k not in _MULTI}
    for key in _MULTI:
        form[key] = [str(v) for v in raw.getlist(key)]
    form["smote"] = bool(raw.get("smote"))
    lang = request_language(request)
    try:
        await run_in_threadpool(
            _save_and_maybe_start, store, server, experiment_id, form, action == "start"
        )
    except (ValidationError, TunelabError) as exc:
        errors = setup_form.form_errors(exc)
        if "split_ratios" in errors:
            errors["split_ratios"] = translate(lang, "setup.error_ratios")
        if isinstance(exc, ConflictError):
            errors = {"form": translate(lang, "setup.error_conflict", error=str(exc))}
        context = await run_in_threadpool(page_context, store, experiment_id, server.ray_address)
        context["values"] = {**context["values"], **form}
        context["errors"] = errors
        context["error"] = translate(lang, "setup.error_summary")
        return render(request, "setup/page.html", context)
    if action == "start":
        return RedirectResponse(f"/experiments/{experiment_id}/run", status_code=303)
    return RedirectResponse(f"/experiments/{experiment_id}/setup?saved=1", status_code=303)
