"""The web UI (Jinja2 + HTMX, server-rendered), mounted on the FastAPI app by ``mount_ui``."""

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from tunelab.server.ui.pages import page_routers

STATIC_DIR = Path(__file__).parent / "static"


def plotly_js_path() -> Path | None:
    """``plotly.min.js`` of the installed ``plotly`` package, if it is installed."""
    spec = find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def mount_ui(app: FastAPI) -> None:
    """Add the static files, Plotly.js, every page router and ``/`` -> ``/experiments``."""

    @app.get("/ui/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        path = plotly_js_path()
        if path is None:
            raise HTTPException(404, "plotly is not installed")
        return FileResponse(
            path,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/experiments", status_code=307)

    for router in page_routers():
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
