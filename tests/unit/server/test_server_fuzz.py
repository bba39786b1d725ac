"""REST fuzzing: schemathesis sends generated requests to every operation of the OpenAPI
schema (a real app on a real SQLite store in a temporary home, no worker) and checks that no
answer is a 5xx and every answer matches the declared schema (status code, content type,
body). Seeded and bounded: the same requests on every run."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from server_helpers import upload

from tunelab.entities.auth import Role, Scope
from tunelab.server import ServerSettings, create_app
from tunelab.server.auth.service import create_token

# an endless Server-Sent Events stream: not a request/answer operation
_SKIPPED_PATHS = ["/api/v1/events/stream"]
# the app is built at import (nothing opens then); its stores open in ``running_app``
_HOME = Path(tempfile.gettempdir()) / f"tunelab-fuzz-{uuid.uuid4().hex}"  # made when used
_APP = create_app(
    ServerSettings(
        home=_HOME / "home", max_upload_bytes=50_000, allowed_hosts=["testserver"], auth=True
    )
)
# every generated request is authenticated: an admin's write token (made in ``running_app``);
# the admin's name is not one the fuzzer would disable by chance
_AUTH: dict[str, str] = {}
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP).exclude(path=_SKIPPED_PATHS)


@pytest.fixture(scope="module", autouse=True)
def running_app() -> Iterator[None]:
    """Start the app (stores on a temporary home) with one stored dataset; remove it after."""
    try:
        with TestClient(_APP, base_url="http://localhost") as client:
            store = client.app.state.store  # type: ignore[attr-defined]
            admin = f"fuzz-admin-{uuid.uuid4().hex}"
            store.create_user(admin, Role.ADMIN)
            token, _ = create_token(store, admin, "fuzz", scope=Scope.WRITE)
            _AUTH["Authorization"] = f"Bearer {token}"
            client.headers.update(_AUTH)
            upload(client)  # one stored dataset, so that lists have items to check
            yield
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_without_5xx_and_as_declared(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=_AUTH,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
