"""Types a fitted tunelab model may contain beyond what skops trusts by default.

skops 0.16 saves LightGBM, XGBoost and CatBoost estimators without pickle: their boosters are
stored in each library's own format through ``__getstate__``. Loading them (and the
scikit-learn internals and tunelab's own estimators) needs their exact names passed as
``trusted`` to ``skops.io.load``: the one list in ``tunelab.entities.trusted_types``.
"""

from __future__ import annotations

from tunelab.entities.trusted_types import TRUSTED_TYPES


def trusted_types() -> list[str]:
    """Fully qualified type names to trust when loading a tunelab model with skops (exact)."""
    return sorted(name for names in TRUSTED_TYPES.values() for name in names)
