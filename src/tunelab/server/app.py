"""The FastAPI application factory (nothing is opened at import time)."""

import gc
import importlib
import logging
import pkgutil
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from tunelab import __version__
from tunelab.artifacts import ArtifactStore
from tunelab.entities import ConfigError
from tunelab.server.auth import AuthMiddleware
from tunelab.server.config import ServerSettings, apply_data_limits
from tunelab.server.deployments.traffic import TrafficTable
from tunelab.server.deps import StoreDep, check_token
from tunelab.server.errors import ERROR_RESPONSES, install_error_handlers
from tunelab.server.guard import LOCAL_HOSTS, WILDCARD_HOSTS, RequestGuard, allowed_host_names
from tunelab.server.monitoring.schedule import MonitorSchedule
from tunelab.server.predictor import SWITCH_INTERVAL, PredictionLog, PredictorCache
from tunelab.server.protocols import protocol_routers
from tunelab.server.ui import mount_ui
from tunelab.tracking import MetadataStore

if TYPE_CHECKING:
    from tunelab.jobs import WorkerSupervisor

_SKIPPED_SUBPACKAGES = frozenset({"ui"})


def _is_views_module(name: str) -> bool:
    return name == "views" or name.endswith("_views")


def api_routers() -> list[APIRouter]:
    """The ``router`` of every ``tunelab.server.<area>.views`` / ``<name>_views`` module.

    Order is deterministic: areas by name; within an area the ``*_views`` modules (by name)
    come before ``views``, so their fixed paths (``/datasets/samples``) win over the
    generic ``/{id}`` routes of ``views``.
    """
    routers: list[APIRouter] = []
    server_dir = str(Path(__file__).resolve().parent)  # the package itself: no import cycle
    areas = sorted(m.name for m in pkgutil.iter_modules([server_dir]) if m.ispkg)
    for area in areas:
        if area in _SKIPPED_SUBPACKAGES or area.startswith("_"):
            continue
        package = importlib.import_module(f"tunelab.server.{area}")
        names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.ispkg]
        for name in sorted(filter(_is_views_module, names), key=lambda n: (n == "views", n)):
            router = getattr(importlib.import_module(f"{package.__name__}.{name}"), "router", None)
            if isinstance(router, APIRouter):
                routers.append(router)
    return routers


def create_app(
    settings: ServerSettings | None = None, *, supervisor: "WorkerSupervisor | None" = None
) -> FastAPI:
    """Build the app; the stores open when it starts (lifespan) and close when it stops.

    ``supervisor``: the local workers ``tunelab serve`` started; the health check reports them.
    """
    settings = settings or ServerSettings()
    if not settings.auth and settings.host not in LOCAL_HOSTS:
        raise ConfigError(
            f"single-user mode (no auth) serves 127.0.0.1 only, not {settings.host!r}: "
            "turn auth on (the default) to serve on a network"
        )
    if settings.auth and settings.api_token:
        logging.getLogger(__name__).warning(
            "TUNELAB_API_TOKEN is ignored with auth on: create user tokens (tunelab tokens create)"
        )
    apply_data_limits(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = MetadataStore(settings.database_url)
        artifacts = ArtifactStore(settings.artifacts_location, settings.artifacts_options)
        predictors = PredictorCache(store, artifacts, settings.cache_dir)
        predictors.log = PredictionLog(store) if settings.store_predictions else None
        if settings.store_predictions and sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)  # the log thread shares the lock
        app.state.settings, app.state.store, app.state.artifacts = settings, store, artifacts
        app.state.predictors = predictors
        app.state.traffic = TrafficTable(store, predictors)
        predictors.warming = True  # before the thread starts: health never says "done" early
        threading.Thread(target=predictors.warm_all, name="warm-deployments", daemon=True).start()
        schedule = MonitorSchedule(store, settings)  # alert rules, every interval
        schedule.start()
        # Move what is loaded now out of the collector's reach: full collections over the
        # large heap of the ML libraries otherwise add ~200 ms pauses to random requests.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            schedule.close()
            app.state.traffic.close()
            if predictors.log is not None:
                predictors.log.close()
            store.close()

    app = FastAPI(
        title="tunelab",
        version=__version__,
        description="AutoML and MLOps lab for tabular data: REST API v1.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.supervisor = supervisor
    install_error_handlers(app)
    api = APIRouter(
        prefix="/api/v1", dependencies=[Depends(check_token)], responses=ERROR_RESPONSES
    )
    for router in api_routers():
        api.include_router(router)
    app.include_router(api)
    for router, guarded in protocol_routers():  # /v2 (Open Inference), /serve (MLflow)
        app.include_router(router, dependencies=[Depends(check_token)] if guarded else [])

    @app.get("/api/v1/health", tags=["system"])
    async def health(request: Request, store: StoreDep) -> dict[str, Any]:
        """Liveness, the database backend, whether deployments are still being loaded after
        start (``warming``) and the local workers of ``tunelab serve`` (``workers``: expected,
        alive, restarts and each one's heartbeat age; status ``degraded`` when fewer are
        alive than expected); no authentication needed."""
        workers = supervisor.status() if supervisor is not None else None
        degraded = workers is not None and workers["alive"] < workers["expected"]
        return {
            "status": "degraded" if degraded else "ok",
            "version": __version__,
            "database": store.dialect,
            "warming": request.app.state.predictors.warming,
            "workers": workers,
        }

    mount_ui(app)
    app.add_middleware(AuthMiddleware, fastapi_app=app)  # inside the guard: CSRF first
    app.add_middleware(
        RequestGuard,
        allowed_hosts=allowed_host_names(settings.host, settings.allowed_hosts),
        allow_ip_hosts=settings.host in WILDCARD_HOSTS,
    )
    return app
