"""Jinja2 rendering of the UI pages: ``render`` for full pages, ``render_fragment`` for HTMX."""

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from tunelab.entities.auth import ResourceKind
from tunelab.server.ui import chart_text, labels
from tunelab.server.ui.i18n import DEFAULT_LANGUAGE, LANG_COOKIE, LANGUAGES, request_language
from tunelab.server.ui.i18n import translate as _translate

TEMPLATES_DIR = Path(__file__).parent / "templates"
_COOKIE_MAX_AGE = 365 * 24 * 3600


def format_score(value: Any) -> str:
    """A score with 4 significant digits; an em dash when there is none."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "—"
    return f"{number:.4g}"


def format_duration(seconds: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """Seconds as ``"45s"``, ``"1m 05s"`` or ``"2h 03m"`` (``"1분 05초"`` in Korean)."""
    if seconds is None:
        return "—"
    total = max(0, round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _translate(lang, "common.duration_hours", h=hours, m=f"{minutes:02d}")
    if minutes:
        return _translate(lang, "common.duration_minutes", m=minutes, s=f"{secs:02d}")
    return _translate(lang, "common.duration_seconds", s=secs)


def format_ago(
    value: datetime | None, lang: str = DEFAULT_LANGUAGE, now: datetime | None = None
) -> str:
    """A past time as ``"3 min ago"`` in ``lang``."""
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return _translate(lang, "common.ago_now")
    if seconds < 3600:
        return _translate(lang, "common.ago_minutes", n=int(seconds // 60))
    if seconds < 86400:
        return _translate(lang, "common.ago_hours", n=int(seconds // 3600))
    return _translate(lang, "common.ago_days", n=int(seconds // 86400))


def _tojson(value: Any) -> Markup:
    """JSON safe inside ``<script>`` and single-quoted attributes (``data-x='{{ v | tojson }}'``).

    It keeps ``"`` as is (valid JSON needs it): a double-quoted attribute needs
    ``| tojson | forceescape`` instead (a unit test checks every template for this).
    """
    text = json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("'", "\\u0027"))


@pass_context
def _t(ctx: Context, key: str, **kwargs: Any) -> str:
    return _translate(str(ctx.get("lang", DEFAULT_LANGUAGE)), key, **kwargs)


@pass_context
def _ago(ctx: Context, value: datetime | None) -> str:
    return format_ago(value, str(ctx.get("lang", DEFAULT_LANGUAGE)))


def _lang(ctx: Context) -> str:
    return str(ctx.get("lang", DEFAULT_LANGUAGE))


@pass_context
def _duration(ctx: Context, value: Any) -> str:
    return format_duration(value, _lang(ctx))


@pass_context
def _seconds(ctx: Context, value: Any) -> str:
    return labels.seconds(_lang(ctx), None if value is None else float(value))


@pass_context
def _timestamp(ctx: Context, value: datetime | None) -> str:
    return labels.timestamp(_lang(ctx), value)


@pass_context
def _t_or(ctx: Context, key: str, default: Any, **kwargs: Any) -> str:
    """``key`` translated when the catalog has it, else ``default`` (a code value)."""
    return labels.translate_or(_lang(ctx), key, "" if default is None else str(default), **kwargs)


@pass_context
def _family_label(ctx: Context, name: str, english: str | None = None) -> str:
    return labels.family_label(_lang(ctx), name, english)


@pass_context
def _metric_label(ctx: Context, name: str | None) -> str:
    return labels.metric_label(_lang(ctx), name)


@pass_context
def _split_sentence(ctx: Context, facts: dict[str, Any] | None, fallback: str = "") -> str:
    return labels.split_sentence(_lang(ctx), facts, fallback)


@pass_context
def _plotly_locale(ctx: Context) -> dict[str, str]:
    """Plotly.js's own words (mode bar, hover labels) in the page's language; {} in English."""
    return chart_text.plotly_dictionary(_lang(ctx))


@pass_context
def _url(ctx: Context, path: str) -> str:
    request: Request | None = ctx.get("request")
    root = request.scope.get("root_path", "") if request is not None else ""
    return f"{root}{path}"


@pass_context
def _csrf_token(ctx: Context) -> str:
    """The CSRF token of this browser (set by ``tunelab.server.guard``), for forms and meta."""
    request: Request | None = ctx.get("request")
    state = request.scope.get("state", {}) if request is not None else {}
    return str(state.get("csrf_token", ""))


@pass_context
def _current_user(ctx: Context) -> Any:
    """The signed-in principal (None in single-user mode), set by the auth middleware."""
    request: Request | None = ctx.get("request")
    state = request.scope.get("state", {}) if request is not None else {}
    return state.get("principal")


@pass_context
def _owners_of(ctx: Context, kind: str, resource_ids: Iterable[str]) -> dict[str, str]:
    """Resource id -> owner's name of a whole list in one query (lists call it once, before
    their rows: no query per row); ids without an owner are absent."""
    request: Request | None = ctx.get("request")
    if request is None:
        return {}
    names = request.app.state.store.owner_names(ResourceKind(kind), list(resource_ids))
    return {str(k): str(v) for k, v in names.items()}


@pass_context
def _csrf_field(ctx: Context) -> Markup:
    """The hidden ``csrf_token`` input every ``method="post"`` form carries."""
    token = _csrf_token(ctx)
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


@pass_context
def _lang_url(ctx: Context, code: str) -> str:
    """The current page's URL in another language (other query parameters kept)."""
    request: Request | None = ctx.get("request")
    if request is None:
        return f"?lang={code}"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', code)])}"


_CLASS_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Warning): ")


def plain_error(text: Any) -> str:
    """A stored error message as a user may read it: no exception class name in front (older
    records carry one) and no server paths (see ``tunelab.entities.public_message``)."""
    from tunelab.entities import scrub_paths

    return scrub_paths(_CLASS_PREFIX.sub("", str(text or "")))


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=_t,
        url=_url,
        csrf_token=_csrf_token,
        csrf_field=_csrf_field,
        current_user=_current_user,
        owners_of=_owners_of,
        lang_url=_lang_url,
        languages=LANGUAGES,
        t_or=_t_or,
        family_label=_family_label,
        metric_label=_metric_label,
        split_sentence=_split_sentence,
        plotly_locale=_plotly_locale,
    )
    env.filters.update(
        score=format_score,
        duration=_duration,
        seconds=_seconds,
        timestamp=_timestamp,
        ago=_ago,
        tojson=_tojson,
        plain_error=plain_error,
    )
    return env


ENV = _build_env()


def _respond(
    request: Request, template: str, context: dict[str, Any], status_code: int
) -> HTMLResponse:
    lang = request_language(request)
    html = ENV.get_template(template).render({**context, "request": request, "lang": lang})
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=_COOKIE_MAX_AGE, samesite="lax")
    return response


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A full page from ``templates/<template>`` (which extends ``base.html``)."""
    return _respond(request, template, context or {}, status_code)


def render_fragment(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A partial for an HTMX swap (a template that does not extend ``base.html``)."""
    return _respond(request, template, context or {}, status_code)
