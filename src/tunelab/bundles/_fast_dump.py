"""``skops.io.dump`` without the indented ``schema.json``.

skops writes the model's schema with ``json.dumps(state, indent=2)``; an indent forces
Python's pure-Python JSON encoder, which is slow on the large states of tree ensembles. The
file written here is the same skops format (only whitespace in ``schema.json`` differs) and
loads with ``skops.io.load`` as usual.
"""

import json
import threading
from pathlib import Path
from typing import Any

import skops.io as sio
import skops.io._persist as _persist

_LOCK = threading.Lock()


class _CompactJson:
    """Stands in for the ``json`` module inside ``skops.io._persist`` during a dump."""

    loads = staticmethod(json.loads)
    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs.pop("indent", None)
        return json.dumps(obj, **kwargs)


def dump_model(model: Any, path: Path) -> None:
    """Save ``model`` to ``path`` in skops format, with a compact schema."""
    with _LOCK:
        original = _persist.json
        _persist.json = _CompactJson
        try:
            sio.dump(model, path)
        finally:
            _persist.json = original
