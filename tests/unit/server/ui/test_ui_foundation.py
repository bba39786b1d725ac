"""The UI foundation: language choice, filters, static files, Plotly.js, router discovery."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from tunelab.server.app import api_routers
from tunelab.server.ui import plotly_js_path
from tunelab.server.ui.i18n import request_language, translate
from tunelab.server.ui.rendering import format_ago, format_duration, format_score


def _request(query: str = "", cookie: str = "", accept: str = "") -> Request:
    headers = []
    if cookie:
        headers.append((b"cookie", f"tunelab_lang={cookie}".encode()))
    if accept:
        headers.append((b"accept-language", accept.encode()))
    scope = {"type": "http", "query_string": query.encode(), "headers": headers}
    return Request(scope)


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", "", "", "en"),
        ("lang=ko", "en", "en", "ko"),
        ("lang=xx", "ko", "", "ko"),
        ("", "", "ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("", "", "fr-FR, en;q=0.5, ko;q=0.7", "ko"),
        ("", "", "de", "en"),
    ],
)
def test_language_from_query_cookie_then_header(
    query: str, cookie: str, accept: str, expected: str
) -> None:
    assert request_language(_request(query, cookie, accept)) == expected


def test_translate_formats_and_falls_back() -> None:
    assert translate("ko", "common.ago_minutes", n=3) == "3분 전"
    assert translate("ko", "no.such_key") == "no.such_key"


def test_filters() -> None:
    assert format_score(0.912345) == "0.9123"
    assert format_score(1234.5678) == "1235"
    assert format_score(None) == "—"
    assert format_score(float("nan")) == "—"
    assert format_duration(65) == "1m 05s"
    assert format_duration(7) == "7s"
    assert format_duration(3725) == "1h 02m"
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert format_ago(now - timedelta(minutes=3), "en", now) == "3 min ago"
    assert format_ago(now - timedelta(hours=5), "ko", now) == "5시간 전"


def test_static_plotly_and_home_redirect(client: TestClient) -> None:
    assert client.get("/ui/static/app.css").status_code == 200
    assert client.get("/ui/static/vendor/htmx-2.0.11.min.js").status_code == 200
    plotly = client.get("/ui/static/plotly.min.js")
    assert plotly.status_code == 200
    assert "javascript" in plotly.headers["content-type"]
    path = plotly_js_path()
    assert path is not None
    assert len(plotly.content) == path.stat().st_size
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 307
    assert home.headers["location"] == "/experiments"


def test_base_layout_has_nav_language_switch_and_assets(client: TestClient) -> None:
    html = client.get("/experiments?offset=0").text
    for asset in ("htmx-2.0.11.min.js", "htmx-ext-sse-2.2.4.js", "plotly.min.js", "app.css"):
        assert asset in html
    assert 'data-testid="nav-deployments"' in html
    assert 'href="/experiments?offset=0&amp;lang=ko"' in html  # other parameters kept


def test_api_routers_are_discovered_in_a_stable_order() -> None:
    first = [id(r) for r in api_routers()]
    assert first == [id(r) for r in api_routers()]
    prefixes = {r.prefix for r in api_routers()}
    assert {"/datasets", "/experiments", "/models", "/deployments"} <= prefixes


def test_ui_pages_are_not_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/experiments" not in paths
    assert "/api/v1/experiments" in paths


def test_json_in_double_quoted_attributes_is_entity_escaped() -> None:
    """``tojson`` keeps ``"``: inside ``attr="..."`` it would cut the attribute short (the live
    Run page once stopped updating for this reason), so such uses need ``| forceescape``."""
    import re
    from pathlib import Path

    import tunelab.server.ui as ui

    templates = Path(ui.__file__).parent / "templates"
    unsafe = re.compile(r'="[^"]*\|\s*tojson(?!\s*\|\s*forceescape)[^"]*}}')
    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if unsafe.search(line)
    ]
    assert not offenders, f"tojson in a double-quoted attribute: {offenders}"


def test_tojson_output_is_valid_json_that_cannot_close_a_script_or_single_quote() -> None:
    import json

    from tunelab.server.ui.rendering import _tojson

    value = {"a": "</script><b>'x' & \"y\""}
    text = str(_tojson(value))
    assert "<" not in text
    assert "'" not in text
    assert json.loads(text) == value
