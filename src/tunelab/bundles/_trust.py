"""The exact types a bundle's model file may hold beyond what skops trusts by default.

The list is tunelab's own, written here as strings (no library is imported to build it), and
keyed by the library a type comes from so that a bundle needs only its own libraries' names.
Nothing in a bundle can add to it: ``manifest.json`` records which types and libraries the
model needs, but loading trusts only this list. There are no prefixes: ``numpy.savetxt`` or
``numpy.ctypeslib.load_library`` are refused because they are not on it, not because a deny
list caught them.

Functions are classes' dangerous cousins (skops calls them while loading, or the model calls
them later), so only two audited, side-effect-free ones are listed, in
:data:`AUDITED_FUNCTIONS`, each with the reason it is needed.

``tests/unit/bundles/test_bundle_trust_list.py`` saves a bundle of every model family,
preprocessing option and ensemble kind and proves each loads with this list, so the list
cannot silently fall behind the code.
"""

from __future__ import annotations

from collections.abc import Iterable

from tunelab.entities import BundleError
from tunelab.entities.trusted_types import AUDITED_FUNCTIONS, TRUSTED_TYPES

__all__ = [
    "AUDITED_FUNCTIONS",
    "TRUSTED_TYPES",
    "check_types",
    "is_trusted",
    "libraries_of",
    "trusted_types",
]

LIBRARIES = tuple(TRUSTED_TYPES)
_LIBRARY_OF = {name: lib for lib, names in TRUSTED_TYPES.items() for name in names}


def trusted_types(libraries: Iterable[str] | None = None) -> list[str]:
    """The exact trusted names of ``libraries`` (default: all), sorted."""
    libs = LIBRARIES if libraries is None else tuple(libraries)
    unknown = sorted(set(libs) - set(LIBRARIES))
    if unknown:
        raise BundleError(
            f"unknown model librar{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(map(repr, unknown))}; tunelab knows {', '.join(LIBRARIES)}"
        )
    return sorted(name for lib in libs for name in TRUSTED_TYPES[lib])


def is_trusted(type_name: str) -> bool:
    """True when ``type_name`` (``module.Qualname``) is on tunelab's exact list."""
    return type_name in _LIBRARY_OF


def libraries_of(type_names: Iterable[str]) -> list[str]:
    """The libraries (keys of :data:`TRUSTED_TYPES`) the trusted ``type_names`` come from."""
    return sorted({_LIBRARY_OF[t] for t in type_names if t in _LIBRARY_OF})


def check_types(
    type_names: Iterable[str], source: str, libraries: Iterable[str] | None = None
) -> list[str]:
    """The names as a sorted list; BundleError naming every one off the list of ``libraries``."""
    names = sorted({str(t) for t in type_names})
    allowed = set(trusted_types(libraries))
    refused = [name for name in names if name not in allowed]
    if refused:
        shown = ", ".join(repr(n) for n in refused)
        raise BundleError(
            f"{source} holds the type(s) {shown}, which tunelab does not trust; "
            "refusing to load it (nothing in it was run)"
        )
    return names
