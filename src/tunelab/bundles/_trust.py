"""Which types a bundle's model file may contain.

A type is trusted when its module path starts with an allowed prefix (``tunelab.``,
``sklearn.``, ``numpy.``, ``scipy.``, ``pandas.``, ``lightgbm.``, ``xgboost.``, ``catboost.``,
``imblearn.``) or is one of a few plain containers (``builtins.dict``, ``collections.OrderedDict``
...), and no part of its dotted name is on the deny list (``os``, ``subprocess``, ``pickle``,
``io``, ``load``, ``eval``, ``testing``...), which blocks loaders and shell helpers that live
under an allowed prefix (``numpy.load``, ``pandas.read_pickle``...).
"""

from __future__ import annotations

from collections.abc import Iterable

from tunelab.entities import BundleError

ALLOWED_PREFIXES = (
    "tunelab.",
    "sklearn.",
    "numpy.",
    "scipy.",
    "pandas.",
    "lightgbm.",
    "xgboost.",
    "catboost.",
    "imblearn.",
)
ALLOWED_EXACT = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.set",
        "builtins.frozenset",
        "builtins.str",
        "builtins.bytes",
        "builtins.bytearray",
        "builtins.int",
        "builtins.float",
        "builtins.complex",
        "builtins.bool",
        "builtins.slice",
        "builtins.range",
        "builtins.NoneType",
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.Counter",
        "collections.deque",
        # clustering bundles (h-cluster): the estimators of tunelab.clustering
        "tunelab.clustering._estimator.BirchClustering",
        "tunelab.clustering._estimator.ClusterModel",
        "tunelab.clustering._estimator.ClusterPipeline",
        "tunelab.clustering._estimator.DensityClustering",
    }
)
DENIED_PARTS = frozenset(
    {
        "os",
        "posix",
        "nt",
        "sys",
        "subprocess",
        "shutil",
        "pickle",
        "_pickle",
        "cPickle",
        "marshal",
        "shelve",
        "dill",
        "joblib",
        "importlib",
        "runpy",
        "ctypes",
        "socket",
        "pty",
        "io",
        "eval",
        "exec",
        "compile",
        "system",
        "popen",
        "spawn",
        "__import__",
        "getattr",
        "setattr",
        "load",
        "loads",
        "read_pickle",
        "testing",
        "runstring",
        "code",
        "webbrowser",
    }
)


def is_trusted(type_name: str) -> bool:
    """True when ``type_name`` (``module.Qualname``) passes the allow and deny lists."""
    parts = type_name.split(".")
    if any(part in DENIED_PARTS for part in parts) or len(parts) < 2:
        return False
    return type_name in ALLOWED_EXACT or type_name.startswith(ALLOWED_PREFIXES)


def check_trusted(type_names: Iterable[str], source: str) -> list[str]:
    """The names as a sorted list; BundleError naming the first untrusted one."""
    names = sorted({str(t) for t in type_names})
    for name in names:
        if not is_trusted(name):
            raise BundleError(
                f"{source} lists the type {name!r}, which tunelab does not trust; "
                "refusing to load it"
            )
    return names
