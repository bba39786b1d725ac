"""Translations of the web UI: flat JSON catalogs per language, merged over all areas.

Catalogs live in ``ui/locales/<lang>/<area>.json`` with keys ``"<area>.<name>"``. The
request's language comes from ``?lang=``, then the ``tunelab_lang`` cookie, then the
``Accept-Language`` header; English is the default and the fallback for a missing key.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request

LANGUAGES: tuple[str, ...] = ("en", "ko")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "tunelab_lang"
LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    """All keys of one language, merged from every ``<area>.json`` (cached per process)."""
    merged: dict[str, str] = {}
    folder = LOCALES_DIR / lang
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a locale file must hold one flat JSON object")
        merged.update({str(k): str(v) for k, v in data.items()})
    return merged


def translate(lang: str, key: str, **kwargs: Any) -> str:
    """The text of ``key`` in ``lang`` (English, then the key itself, as fallbacks)."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    if kwargs:
        try:
            return text.format(**kwargs)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def _from_accept_language(header: str) -> str | None:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        code = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for piece in pieces[1:]:
            name, _, value = piece.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code in LANGUAGES and quality > 0:
            weighted.append((-quality, position, code))
    return min(weighted)[2] if weighted else None


def request_language(request: Request) -> str:
    """``?lang=`` > cookie > Accept-Language > English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return _from_accept_language(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE
