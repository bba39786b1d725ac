"""The words inside Plotly figures, in the page's language (translated before the browser draws).

Stored figures are language-neutral (English words, the same for every user); the UI's figure
routes pass them through :func:`localise_figure`. The texts live in ``locales/*/charts.json``.

- A figure that names its words (the EDA job's, ``layout.meta.tunelab_i18n``) gets exactly
  those slots translated: ``{"path": "layout.title.text", "key": ..., "args": {...}}`` (an
  arg is data, kept as is, or ``{"key": ...}``, a word) and ``{"path": "data.0.x",
  "replace": {"(other)": key}}`` (pooled levels inside data). Nothing else is touched.
- Any other figure (evaluation plots; EDA figures stored before the slots existed) has its
  text slots (titles, axis/legend/colour-bar titles, trace names, hover templates, text
  labels, annotations, button labels) matched against the English text of the ``charts.*``
  keys: exactly, or as a pattern where ``{name}`` stands for any text (a captured value is
  translated only when it is a ``charts.term_*`` word; ``{kind}`` must capture one for the
  pattern to match). Unmatched text is left as is.

``charts.plotly_*`` keys are Plotly.js's own words (mode bar, box hover labels): they are
given to the browser as a Plotly locale (:func:`plotly_dictionary`), not used here.
"""

import re
from functools import cache
from typing import Any

from tunelab.server.ui.i18n import DEFAULT_LANGUAGE, catalog

META = "tunelab_i18n"
PREFIX = "charts."
PLOTLY_PREFIX = "charts.plotly_"
TERM_PREFIX = "charts.term_"
_PLACEHOLDER = re.compile(r"(?<!%)\{(\w+)\}")  # {name}, but not Plotly's %{y}
TERM_ARGS = frozenset({"kind"})  # a pattern matches only when these capture a charts.term_ word


def fill(template: str, args: dict[str, str]) -> str:
    """``{name}`` placeholders replaced by ``args`` (Plotly's ``%{...}`` left alone)."""
    return _PLACEHOLDER.sub(lambda m: args.get(m.group(1), m.group(0)), template)


def _regex(template: str) -> re.Pattern[str]:
    parts, seen, last = ["^"], set(), 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = m.end()
    parts += [re.escape(template[last:]), "$"]
    return re.compile("".join(parts), re.DOTALL)


@cache
def _table(lang: str) -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]], dict[str, str]]:
    """(exact English -> text, [(pattern, template)] most specific first, terms)."""
    english, local = catalog(DEFAULT_LANGUAGE), catalog(lang)
    exact: dict[str, str] = {}
    patterns: list[tuple[int, re.Pattern[str], str]] = []
    terms: dict[str, str] = {}
    for key, source in english.items():
        if not key.startswith(PREFIX) or key.startswith(PLOTLY_PREFIX) or key not in local:
            continue
        if _PLACEHOLDER.search(source):
            literal = len(_PLACEHOLDER.sub("", source))
            patterns.append((literal, _regex(source), local[key]))
        else:
            exact[source] = local[key]
            if key.startswith(TERM_PREFIX):
                terms[source] = local[key]
    patterns.sort(key=lambda item: -item[0])
    return exact, [(regex, text) for _, regex, text in patterns], terms


def translate_text(lang: str, text: str) -> str:
    """One English chart text in ``lang`` (by exact text, then by pattern; else unchanged)."""
    exact, patterns, terms = _table(lang)
    if text in exact:
        return exact[text]
    for regex, template in patterns:
        found = regex.match(text)
        if found is None:
            continue
        captured = found.groupdict()
        if any(v not in terms for k, v in captured.items() if k in TERM_ARGS):
            continue
        return fill(template, {k: terms.get(v, v) for k, v in captured.items()})
    return text


def _key_text(lang: str, slot: dict[str, Any]) -> str | None:
    local = catalog(lang)
    key = slot.get("key")
    if not isinstance(key, str) or key not in local:
        return None
    args: dict[str, str] = {}
    for name, value in (slot.get("args") or {}).items():
        if isinstance(value, dict):
            word = value.get("key")
            args[name] = local.get(word, str(word)) if isinstance(word, str) else ""
        else:
            args[name] = str(value)
    return fill(local[key], args)


def _locate(figure: Any, path: str) -> tuple[Any, Any] | None:
    """The container holding the value at a dotted ``path`` and the last step into it."""
    node, steps = figure, path.split(".")
    for i, step in enumerate(steps):
        index: Any = int(step) if step.isdigit() and isinstance(node, list) else step
        if isinstance(node, list) and not (isinstance(index, int) and index < len(node)):
            return None
        if isinstance(node, dict) and index not in node:
            return None
        if not isinstance(node, dict | list):
            return None
        if i == len(steps) - 1:
            return node, index
        node = node[index]
    return None


def _apply_slot(lang: str, figure: dict[str, Any], slot: dict[str, Any]) -> None:
    found = _locate(figure, str(slot.get("path", "")))
    if found is None:
        return
    node, step = found
    if "replace" in slot:
        local = catalog(lang)
        mapping = {k: local.get(v, k) for k, v in (slot["replace"] or {}).items()}
        value = node[step]
        if isinstance(value, list):
            node[step] = [mapping.get(v, v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, str):
            node[step] = mapping.get(value, value)
        return
    text = _key_text(lang, slot)
    if text is not None:
        node[step] = text


def _translate_at(lang: str, node: Any, key: Any) -> None:
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, str) and value:
        node[key] = translate_text(lang, value)
    elif isinstance(value, list):
        node[key] = [translate_text(lang, v) if isinstance(v, str) else v for v in value]
    elif isinstance(value, dict) and key == "title":
        _translate_at(lang, value, "text")


def _by_text(lang: str, figure: dict[str, Any]) -> None:
    layout = figure.get("layout") or {}
    _translate_at(lang, layout, "title")
    for name, part in layout.items():
        if isinstance(part, dict) and re.match(r"^(xaxis|yaxis|legend|coloraxis)\d*$", name):
            _translate_at(lang, part, "title")
            _translate_at(lang, part.get("colorbar") or {}, "title")
    for note in layout.get("annotations") or []:
        _translate_at(lang, note, "text")
    for menu in layout.get("updatemenus") or []:
        for button in menu.get("buttons") or []:
            _translate_at(lang, button, "label")
    for trace in figure.get("data") or []:
        for key in ("name", "hovertemplate", "text"):
            _translate_at(lang, trace, key)
        _translate_at(lang, (trace.get("marker") or {}).get("colorbar") or {}, "title")


def localise_figure(figure: dict[str, Any], lang: str) -> dict[str, Any]:
    """``figure`` (changed in place) with its words in ``lang``; English figures as stored."""
    if lang == DEFAULT_LANGUAGE or not isinstance(figure, dict):
        return figure
    meta = (figure.get("layout") or {}).get("meta")
    slots = meta.get(META) if isinstance(meta, dict) else None
    if isinstance(slots, list):
        for slot in slots:
            if isinstance(slot, dict):
                _apply_slot(lang, figure, slot)
    else:
        _by_text(lang, figure)
    return figure


def plotly_dictionary(lang: str) -> dict[str, str]:
    """Plotly.js's own English words -> ``lang`` (empty in English)."""
    if lang == DEFAULT_LANGUAGE:
        return {}
    english, local = catalog(DEFAULT_LANGUAGE), catalog(lang)
    return {english[k]: local[k] for k in english if k.startswith(PLOTLY_PREFIX) and k in local}
