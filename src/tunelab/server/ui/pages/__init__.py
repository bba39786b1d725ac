"""UI page modules. Every module here with a module-level ``router`` is mounted by ``mount_ui``.

Page authors add ``ui/pages/<area>.py`` with ``router = APIRouter(include_in_schema=False)``;
no shared list to edit.
"""

import importlib
import pkgutil

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    """The ``router`` of every module in this package, in module-name order."""
    routers: list[APIRouter] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers
