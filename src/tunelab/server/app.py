"""The FastAPI application factory (nothing is opened at import time)."""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from tunelab import __version__
from tunelab.artifacts import ArtifactStore
from tunelab.server.config import ServerSettings
from tunelab.server.datasets.views import router as datasets_router
from tunelab.server.deployments.views import router as deployments_router
from tunelab.server.deps import StoreDep, check_token
from tunelab.server.errors import install_error_handlers
from tunelab.server.experiments.views import router as experiments_router
from tunelab.server.jobs.views import router as jobs_router
from tunelab.server.models.views import router as models_router
from tunelab.server.predictor import PredictionLog, PredictorCache
from tunelab.tracking import MetadataStore


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """Build the app; the stores open when it starts (lifespan) and close when it stops."""
    settings = settings or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = MetadataStore(settings.database_url)
        artifacts = ArtifactStore(settings.artifacts_location, settings.artifacts_options)
        predictors = PredictorCache(store, artifacts, settings.cache_dir)
        predictors.log = PredictionLog(store) if settings.store_predictions else None
        app.state.settings, app.state.store, app.state.artifacts = settings, store, artifacts
        app.state.predictors = predictors
        threading.Thread(target=predictors.warm_all, name="warm-deployments", daemon=True).start()
        try:
            yield
        finally:
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
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(check_token)])
    for router in (
        datasets_router,
        experiments_router,
        models_router,
        deployments_router,
        jobs_router,
    ):
        api.include_router(router)
    app.include_router(api)

    @app.get("/api/v1/health", tags=["system"])
    def health(store: StoreDep) -> dict[str, Any]:
        """Liveness and the database backend (no authentication needed)."""
        return {"status": "ok", "version": __version__, "database": store.dialect}

    return app
