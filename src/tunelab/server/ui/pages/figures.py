"""Plotly figures for the pages, with their words in the request's language.

The REST API (``/api/v1/datasets/{id}/eda/{plot}``, ``/api/v1/models/{id}/plots/{name}``)
answers the stored, language-neutral figures; these routes answer the same figures passed
through :func:`tunelab.server.ui.chart_text.localise_figure` for the page's language
(``?lang=``, else the cookie, else Accept-Language). Errors are the REST layer's.
"""

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tunelab.server.datasets import eda
from tunelab.server.deps import ArtifactsDep, StoreDep
from tunelab.server.models import service
from tunelab.server.ui.chart_text import localise_figure
from tunelab.server.ui.i18n import request_language

router = APIRouter(include_in_schema=False)


def _answer(request: Request, content: bytes) -> JSONResponse:
    figure: Any = json.loads(content)
    return JSONResponse(localise_figure(figure, request_language(request)))


@router.get("/ui/figures/eda/{dataset_id}/{plot}")
async def eda_figure(
    request: Request,
    dataset_id: str,
    plot: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    column: str | None = None,
    against: bool = False,
) -> JSONResponse:
    """One EDA figure (as ``GET /api/v1/datasets/{id}/eda/{plot}``) in the page's language."""

    def read() -> bytes:
        store.get_dataset(dataset_id)
        return eda.figure_json(artifacts, dataset_id, plot, column=column, against=against)

    return _answer(request, await run_in_threadpool(read))


@router.get("/ui/figures/models/{model_id}/{name}")
async def model_figure(
    request: Request,
    model_id: str,
    name: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    dataset_id: str | None = None,
) -> JSONResponse:
    """One evaluation plot (as ``GET /api/v1/models/{id}/plots/{name}``) in the page's language."""
    try:
        content = await run_in_threadpool(
            service.read_plot, store, artifacts, model_id, name, dataset_id
        )
    except service.EvaluationMissingError as exc:
        raise HTTPException(409, detail={"message": str(exc), **exc.state}) from None
    return _answer(request, content)
