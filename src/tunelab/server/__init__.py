"""The FastAPI web server: REST API ``/api/v1`` organised by domain. Jobs never run here."""

from tunelab.server.app import create_app
from tunelab.server.config import ServerSettings

__all__ = ["ServerSettings", "create_app"]
