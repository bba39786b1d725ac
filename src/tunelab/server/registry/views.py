"""``/api/v1/registry``: registered models, their versions and movable aliases (promote and
roll back by moving an alias; every move is recorded)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from tunelab.entities.registry import check_alias
from tunelab.server.deps import PredictorsDep, StoreDep
from tunelab.server.schemas import Limit, Offset

router = APIRouter(prefix="/registry", tags=["registry"])


class RegisteredModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Letters, digits, '.', '_' or '-' (at most 128).")
    description: str = ""


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_id: str
    tags: dict[str, str] = Field(default_factory=dict)


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


class RegisteredModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    aliases: dict[str, int]
    latest_version: int | None


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    name: str
    version: int
    model_id: str
    task: str | None
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    tags: dict[str, str]
    aliases: list[str]
    created_at: datetime


class AliasEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    created_at: datetime


class RegisteredModelDetail(RegisteredModelOut):
    versions: list[VersionOut]
    history: list[AliasEventOut]


class RegisteredModelPage(BaseModel):
    items: list[RegisteredModelOut]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegisteredModelOut)
def create_registered_model(body: RegisteredModelIn, store: StoreDep) -> Any:
    """Create a registered model (409 if the name is taken, 422 if it is not valid)."""
    return store.create_registered_model(body.name, description=body.description)


@router.get("", response_model=RegisteredModelPage)
def list_registered_models(store: StoreDep, limit: Limit = 100, offset: Offset = 0) -> Any:
    return {"items": store.list_registered_models(limit=min(max(limit, 1), 1000), offset=offset)}


@router.get("/{name}", response_model=RegisteredModelDetail)
def get_registered_model(name: str, store: StoreDep) -> Any:
    """The model with its versions (newest first, with metrics, lineage, aliases) and the
    history of alias moves (newest first)."""
    registered = store.get_registered_model(name)
    return {
        **vars(registered),
        "versions": store.list_model_versions(name),
        "history": store.alias_history(name),
    }


@router.post("/{name}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut)
def add_version(name: str, body: VersionIn, store: StoreDep) -> Any:
    """Register a model (bundle) as the next version; answers ``{"version": n, ...}``."""
    return store.add_model_version(name, body.model_id, tags=body.tags)


@router.get("/{name}/versions/{version}", response_model=VersionOut)
def get_version(name: str, version: int, store: StoreDep) -> Any:
    return store.get_model_version(name, version)


@router.put("/{name}/aliases/{alias}", response_model=AliasEventOut)
def set_alias(
    name: str,
    alias: str,
    body: AliasIn,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
) -> Any:
    """Point an alias at a version (promote, roll back). Deployments serving ``name@alias``
    switch with no failed request: the version's bundle is loaded and their traffic rebuilt
    first, then the alias moves and the new traffic is swapped in."""
    check_alias(alias)
    version = store.get_model_version(name, body.version)
    predictors.for_model(version.model_id)  # load (and verify) the bundle before the move
    traffic = request.app.state.traffic
    plans = traffic.prepare_alias_move(name, alias, version.version)
    event = store.set_alias(name, alias, version.version)
    for plan in plans:
        traffic.swap(plan)
    return event


@router.delete("/{name}/aliases/{alias}", status_code=status.HTTP_204_NO_CONTENT)
def delete_alias(name: str, alias: str, store: StoreDep) -> None:
    """Remove an alias (recorded); 409 while a deployment's traffic names it."""
    store.delete_alias(name, alias)
