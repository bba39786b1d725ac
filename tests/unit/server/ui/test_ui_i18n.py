"""Completeness of the UI translations: every key used exists in en AND ko, same key sets."""

import json
import re
import string
from pathlib import Path

import pytest

import tunelab.server.ui as ui_pkg
from tunelab.server.ui.i18n import LANGUAGES, catalog

UI_DIR = Path(ui_pkg.__file__).parent
LOCALES = UI_DIR / "locales"
KEY = r"[a-z0-9_]+\.[A-Za-z0-9_.-]+"
# t("area.key") in templates and modules; translate(lang, "area.key") in Python.
LITERAL = re.compile(
    rf"""\bt\(\s*["']({KEY})["'](?!\s*~)|\btranslate\(\s*[^,()]+,\s*["']({KEY})["']"""
)
# t("area.prefix_" ~ var) in templates, f"area.prefix_{var}" in Python: dynamic keys.
DYNAMIC = re.compile(
    r"""\bt\(\s*["']([a-z0-9_]+\.[A-Za-z0-9_.]*)["']\s*~|f["']([a-z0-9_]+\.[A-Za-z0-9_]*)\{"""
)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _sources() -> list[Path]:
    templates = sorted((UI_DIR / "templates").rglob("*.html"))
    modules = sorted(UI_DIR.glob("*.py")) + sorted((UI_DIR / "pages").glob("*.py"))
    return templates + modules


def _used_keys() -> tuple[set[str], set[str]]:
    literal: set[str] = set()
    prefixes: set[str] = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        literal |= {a or b for a, b in LITERAL.findall(text)}
        prefixes |= {a or b for a, b in DYNAMIC.findall(text)}
    return literal, prefixes


def _files(lang: str) -> dict[str, dict[str, str]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((LOCALES / lang).glob("*.json"))
    }


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_scan_finds_keys_in_templates_and_modules() -> None:
    literal, prefixes = _used_keys()
    assert "common.nav_experiments" in literal  # base.html
    assert "experiments.title" in literal  # a page template
    assert "common.status_" in prefixes  # t("common.status_" ~ status)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_used_key_is_translated(lang: str) -> None:
    literal, prefixes = _used_keys()
    keys = set(catalog(lang))
    missing = sorted(literal - keys)
    assert not missing, f"keys used but missing in locales/{lang}: {missing}"
    orphans = sorted(p for p in prefixes if not any(k.startswith(p) for k in keys))
    assert not orphans, f"dynamic key prefixes with no key in locales/{lang}: {orphans}"


def test_english_and_korean_have_the_same_files_and_keys() -> None:
    en, ko = _files("en"), _files("ko")
    assert sorted(en) == sorted(ko), "locale files differ between en and ko"
    for area in en:
        only_en = sorted(set(en[area]) - set(ko[area]))
        only_ko = sorted(set(ko[area]) - set(en[area]))
        assert (only_en, only_ko) == ([], []), f"{area}.json: only en {only_en}, only ko {only_ko}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogs_are_flat_strings_named_by_area(lang: str) -> None:
    for area, entries in _files(lang).items():
        for key, value in entries.items():
            assert key.startswith(f"{area}."), f"{lang}/{area}.json: key {key!r} not '{area}.*'"
            assert isinstance(value, str), f"{lang}/{area}.json: {key!r} is not a string"
            assert value.strip(), f"{lang}/{area}.json: {key!r} is empty"


def test_korean_is_translated_with_the_same_placeholders() -> None:
    en, ko = _files("en"), _files("ko")
    for area in en:
        copied = [k for k in en[area] if ko[area][k] == en[area][k]]
        assert len(copied) <= max(2, len(en[area]) // 5), f"ko/{area}.json copies en: {copied}"
        hangul = [k for k in ko[area] if HANGUL.search(ko[area][k])]
        assert len(hangul) >= len(ko[area]) // 2, f"ko/{area}.json is mostly not Korean"
        for key, text in en[area].items():
            assert _placeholders(text) == _placeholders(ko[area][key]), f"{key}: placeholders"
