"""``Annotated`` dependencies: the stores, settings and prediction cache of the running app."""

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from tunelab.artifacts import ArtifactStore
from tunelab.server.config import ServerSettings
from tunelab.server.predictor import PredictorCache
from tunelab.tracking import MetadataStore


def get_store(request: Request) -> MetadataStore:
    return request.app.state.store


def get_artifacts(request: Request) -> ArtifactStore:
    return request.app.state.artifacts


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def get_predictors(request: Request) -> PredictorCache:
    return request.app.state.predictors


async def check_token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """With ``TUNELAB_API_TOKEN`` set, every API call needs ``Authorization: Bearer <token>``.

    ``async``: it does no I/O, so it runs on the event loop instead of a thread hop.
    """
    settings = request.app.state.settings
    token = settings.api_token
    if not settings.auth and token and authorization != f"Bearer {token}":
        raise HTTPException(401, "missing or wrong bearer token")


StoreDep = Annotated[MetadataStore, Depends(get_store)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
PredictorsDep = Annotated[PredictorCache, Depends(get_predictors)]
