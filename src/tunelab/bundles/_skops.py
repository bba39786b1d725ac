"""Import ``skops.io`` without walking all of scikit-learn.

On import, skops builds its default trusted list from ``sklearn.utils.all_estimators()``,
which imports every scikit-learn module (seconds of start-up for ``tunelab predict``). The
names it collects are fixed for a scikit-learn version, so tunelab ships them in
``_sklearn_estimators.json`` and hands skops the same names (as name-only stand-ins) while it
imports. skops' defaults are therefore unchanged; only the walk is skipped. When the
installed scikit-learn is not the version the file was written for, skops is imported the
ordinary way. Regenerate the file with ``python -m tunelab.bundles._skops``.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

ESTIMATORS_FILE = Path(__file__).with_name("_sklearn_estimators.json")
_LOCK = threading.Lock()


def estimator_names() -> dict[str, Any]:
    """What ``all_estimators()`` gives for the installed scikit-learn (slow: imports it all)."""
    import sklearn
    from sklearn.utils import all_estimators

    pairs = [[name, cls.__module__, cls.__name__] for name, cls in all_estimators()]
    return {"sklearn": sklearn.__version__, "estimators": pairs}


def _stand_ins(version: str) -> list[tuple[str, type]] | None:
    try:
        data = json.loads(ESTIMATORS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("sklearn") != version:
        return None
    return [
        (name, type(cls, (), {"__module__": module})) for name, module, cls in data["estimators"]
    ]


def skops_io() -> ModuleType:
    """The ``skops.io`` module, imported quickly when possible."""
    found = sys.modules.get("skops.io")
    if found is not None:
        return found
    with _LOCK:
        import sklearn
        import sklearn.utils

        stand_ins = _stand_ins(sklearn.__version__)
        if stand_ins is None:
            import skops.io

            return skops.io
        original = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *args, **kwargs: list(stand_ins)
        try:
            import skops.io
        finally:
            sklearn.utils.all_estimators = original
        return skops.io


if __name__ == "__main__":
    data = estimator_names()
    rows = ",\n".join(json.dumps(row) for row in data["estimators"])
    text = f'{{"sklearn": {json.dumps(data["sklearn"])}, "estimators": [\n{rows}\n]}}\n'
    ESTIMATORS_FILE.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {ESTIMATORS_FILE}\n")
