"""``skops.io.dump`` made fast for models with thousands of arrays.

Two costs of skops 0.16 grow badly with the number of fitted trees:

- it writes the schema with ``json.dumps(state, indent=2)``; an indent forces Python's
  pure-Python JSON encoder. The schema is written compact here.
- before writing each array it asks ``zip_file.namelist()``, which builds a new list of
  every member each time: quadratic in the number of arrays (a bag of boosted multiclass
  trees holds tens of thousands). The archive here answers that membership test from its
  name index in constant time.

The file written is the same skops format (only whitespace in ``schema.json`` differs) and
loads with ``skops.io.load`` as usual.
"""

import json
import threading
import zipfile
from collections.abc import KeysView
from pathlib import Path
from typing import Any

from tunelab.bundles._skops import skops_io

_LOCK = threading.Lock()


class _CompactJson:
    """Stands in for the ``json`` module inside ``skops.io._persist`` during a dump."""

    loads = staticmethod(json.loads)
    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs.pop("indent", None)
        return json.dumps(obj, **kwargs)


class _IndexedZipFile(zipfile.ZipFile):
    """A ``ZipFile`` whose ``namelist()`` is a live view of its name index (O(1) ``in``)."""

    def namelist(self) -> KeysView[str]:  # type: ignore[override]
        return self.NameToInfo.keys()


def dump_model(model: Any, path: Path) -> None:
    """Save ``model`` to ``path`` in skops format, with a compact schema."""
    sio = skops_io()
    import skops.io._persist as _persist

    with _LOCK:
        original_json, original_zip = _persist.json, _persist.ZipFile
        _persist.json = _CompactJson
        _persist.ZipFile = _IndexedZipFile
        try:
            sio.dump(model, path)
        finally:
            _persist.json, _persist.ZipFile = original_json, original_zip
