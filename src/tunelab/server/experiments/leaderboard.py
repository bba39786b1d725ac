"""The leaderboard answer as JSON bytes, assembled around the stored ``params`` text.

A 10,000-trial board spent most of its time decoding every trial's ``params`` JSON only to
encode it again (plus collector pauses over 10,000 fresh dicts). Here the stored text is
copied into the answer as it is; the other columns are encoded one value at a time. The
answer is the same JSON as the ``Leaderboard`` response model describes: non-finite numbers
become null, a missing ``params`` is ``{}``, a missing ``reason`` is ``""``.
"""

import json
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

from tunelab.tracking import jsonable

COLUMNS = (
    "number",
    "family",
    "params",
    "status",
    "score",
    "score_std",
    "fit_time",
    "predict_time",
    "source",
    "reason",
    "host",
    "node_id",
)
_ROW = (
    '{"number":%d,"family":%s,"params":%s,"status":%s,"score":%s,"score_std":%s,'
    '"fit_time":%s,"predict_time":%s,"source":%s,"reason":%s,"host":%s,"node_id":%s}'
)


def _number(value: Any) -> str:
    """A JSON number (Python's float repr, as ``json.dumps`` writes it) or null."""
    if type(value) is float:
        return repr(value) if value - value == 0.0 else "null"  # inf - inf and NaN: not 0
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    return _number(float(value))  # Decimal, numpy scalars


def _params(text: str | None) -> str:
    """The stored params text when it is a strict JSON object, else a re-encoded copy.

    Text written through the store is always strict; anything else (NULL, ``null``, NaN
    written by another client) is decoded and encoded the way the ORM path would answer.
    """
    if text is not None and text[:1] == "{" and "NaN" not in text and "Infinity" not in text:
        return text
    decoded = json.loads(text) if text is not None else None
    return json.dumps(jsonable(dict(decoded or {})), ensure_ascii=False, separators=(",", ":"))


def items_json(rows: Sequence[Sequence[Any]]) -> str:
    """``[{...}, ...]`` for rows in :data:`COLUMNS` order (``params`` as stored JSON text)."""
    strings: dict[str, str] = {}  # families, statuses, sources and reasons repeat a lot

    def text(value: str | None) -> str:
        value = value or ""
        found = strings.get(value)
        if found is None:
            found = strings[value] = encode_basestring(value)
        return found

    num = _number
    parts = [
        _ROW
        % (
            n,
            text(fam),
            _params(par),
            text(st),
            num(sc),
            num(sd),
            num(ft),
            num(pt),
            text(so),
            text(re),
            text(ho),
            text(no),
        )
        for n, fam, par, st, sc, sd, ft, pt, so, re, ho, no in rows
    ]
    return "[" + ",".join(parts) + "]"


def leaderboard_json(header: dict[str, Any], rows: Sequence[Sequence[Any]]) -> bytes:
    """The whole answer: the ``header`` fields, then ``items`` built from ``rows``."""
    head = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    comma = "," if header else ""
    return (head[:-1] + comma + '"items":' + items_json(rows) + "}").encode("utf-8")
