"""Standard serving protocols beside ``/api/v1/deployments/{id}/predict``: KServe's Open
Inference Protocol v2 (``/v2``) and MLflow's scoring server (``/serve/{name}``). Both answer
through the same prediction path (``deployments/serving.py``)."""

from fastapi import APIRouter


def protocol_routers() -> list[tuple[APIRouter, bool]]:
    """``(router, needs the API token)`` pairs; health probes stay open."""
    from tunelab.server.protocols import mlflow_scoring, oip

    return [
        (oip.health_router, False),
        (oip.router, True),
        (mlflow_scoring.health_router, False),
        (mlflow_scoring.router, True),
    ]
