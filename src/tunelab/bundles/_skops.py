"""Import ``skops.io`` without walking all of scikit-learn.

On import, skops builds its default trusted list from ``sklearn.utils.all_estimators()``,
which imports every scikit-learn module (seconds of start-up for ``tunelab predict``). The
names it collects are fixed for a scikit-learn version, so tunelab ships them in
``_sklearn_estimators.json`` and hands skops the same names (as name-only stand-ins) while it
imports. skops' defaults are therefore unchanged; only the walk is skipped. When the
installed scikit-learn is not the version the file was written for, skops is imported the
ordinary way. Regenerate the file with ``python -m tunelab.bundles._skops``.

skops also lists numpy's and scipy.special's ufunc names on import, finding each one's
module by scanning every loaded module (``get_public_type_names``: ~0.3 s of CPU). Those
lists too are fixed for the numpy/scipy/skops versions: ``_skops_type_names.json`` holds
them and, when its versions match, skops' function is answered from it while skops imports
(an import hook patches ``skops.io._utils`` as it loads, and puts the function back after).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

ESTIMATORS_FILE = Path(__file__).with_name("_sklearn_estimators.json")
TYPE_NAMES_FILE = Path(__file__).with_name("_skops_type_names.json")
_UTILS = "skops.io._utils"
_LOCK = threading.Lock()


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("numpy", "scipy", "skops")}


def _key(module: ModuleType, oftype: type) -> str:
    return f"{module.__name__}:{oftype.__module__}.{oftype.__qualname__}"


class _PatchedUtils(importlib.abc.Loader):
    """Runs skops' ``_utils`` module, then answers its ``get_public_type_names`` from
    ``names`` (calls not in it go to the original)."""

    def __init__(self, inner: Any, names: dict[str, list[str]], record: dict[str, Any]) -> None:
        self.inner, self.names, self.record = inner, names, record

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self.inner.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        original = getattr(module, "get_public_type_names")  # noqa: B009 (skops internal)
        self.record["original"] = original

        def names(module: ModuleType, oftype: type) -> list[str]:
            key = _key(module, oftype)
            if key in self.names:
                return list(self.names[key])
            found: list[str] = original(module=module, oftype=oftype)
            self.record.setdefault("computed", {})[key] = found
            return found

        setattr(module, "get_public_type_names", names)  # noqa: B010 (skops internal)


class _UtilsFinder(importlib.abc.MetaPathFinder):
    def __init__(self, names: dict[str, list[str]], record: dict[str, Any]) -> None:
        self.names, self.record = names, record

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _UTILS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchedUtils(spec.loader, self.names, self.record)
        return spec


def _import_skops_io(names: dict[str, list[str]]) -> tuple[ModuleType, dict[str, Any]]:
    """``import skops.io`` with ``get_public_type_names`` answered from ``names`` while it
    imports; returns the module and what was computed (names not given)."""
    record: dict[str, Any] = {}
    finder = _UtilsFinder(names, record)
    sys.meta_path.insert(0, finder)
    try:
        import skops.io
    finally:
        sys.meta_path.remove(finder)
        utils = sys.modules.get(_UTILS)
        if utils is not None and "original" in record:
            setattr(utils, "get_public_type_names", record["original"])  # noqa: B010
    return skops.io, record.get("computed", {})


def _shipped_type_names() -> dict[str, list[str]]:
    try:
        data = json.loads(TYPE_NAMES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("versions") != _versions():
        return {}
    names: dict[str, list[str]] = data.get("names", {})
    return names


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
            module, _ = _import_skops_io(_shipped_type_names())
        finally:
            sklearn.utils.all_estimators = original
        return module


def write_type_names() -> None:
    """Write ``_skops_type_names.json``: the lists skops computes on import (run this in a
    fresh interpreter, before anything imported skops)."""
    if "skops.io" in sys.modules:
        raise RuntimeError("skops.io is already imported: run in a fresh interpreter")
    _, computed = _import_skops_io({})
    data = {"versions": _versions(), "names": computed}
    TYPE_NAMES_FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")


if __name__ == "__main__":
    write_type_names()
    data = estimator_names()
    rows = ",\n".join(json.dumps(row) for row in data["estimators"])
    text = f'{{"sklearn": {json.dumps(data["sklearn"])}, "estimators": [\n{rows}\n]}}\n'
    ESTIMATORS_FILE.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {ESTIMATORS_FILE}\n")
