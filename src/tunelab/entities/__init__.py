"""Frozen value objects shared by every layer of tunelab. No I/O happens here.

The typed settings (``tunelab.entities.settings``, pydantic models) load on first use, so
importing the dataclasses and the allowed values (``SAMPLERS``...) stays cheap.
"""

from typing import TYPE_CHECKING, Any

from tunelab.entities.choices import ENSEMBLES, LOG_LEVELS, SAMPLERS
from tunelab.entities.columns import ColumnKind, ColumnProfile, DatasetProfile, LeakageWarning
from tunelab.entities.errors import (
    BundleError,
    ConfigError,
    DataError,
    ExportError,
    SchemaError,
    TunelabError,
    public_message,
    scrub_paths,
)
from tunelab.entities.limits import DataLimits
from tunelab.entities.preprocessing import (
    ColumnSettings,
    Encoding,
    FeatureEngineering,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    Scaling,
    Transformation,
)
from tunelab.entities.search import (
    SamplingConfig,
    SearchBudget,
    SplitConfig,
    SplitKind,
)
from tunelab.entities.tasks import TaskType
from tunelab.entities.trials import TrialRecord, TrialStatus

__all__ = [
    "ENSEMBLES",
    "LOG_LEVELS",
    "SAMPLERS",
    "AutoMLSettings",
    "AutoMLSettingsPatch",
    "BundleError",
    "ColumnKind",
    "ColumnProfile",
    "ColumnSettings",
    "ConfigError",
    "DataError",
    "DataLimits",
    "DatasetProfile",
    "Encoding",
    "ExperimentSettings",
    "ExportError",
    "FeatureEngineering",
    "Imputation",
    "LeakageWarning",
    "OutlierRule",
    "PreprocessingDefaults",
    "PreprocessingSettings",
    "SamplingConfig",
    "SamplingSettings",
    "Scaling",
    "SchemaError",
    "SearchBudget",
    "SettingsError",
    "SplitConfig",
    "SplitKind",
    "SplitSettings",
    "TaskType",
    "Transformation",
    "TrialRecord",
    "TrialStatus",
    "TunelabError",
    "parse_settings",
    "public_message",
    "scrub_paths",
]

_SETTINGS = {
    "AutoMLSettings",
    "AutoMLSettingsPatch",
    "ExperimentSettings",
    "PreprocessingDefaults",
    "SamplingSettings",
    "SettingsError",
    "SplitSettings",
    "parse_settings",
}

if TYPE_CHECKING:
    from tunelab.entities.settings import (
        AutoMLSettings,
        AutoMLSettingsPatch,
        ExperimentSettings,
        PreprocessingDefaults,
        SamplingSettings,
        SettingsError,
        SplitSettings,
        parse_settings,
    )


def __getattr__(name: str) -> Any:
    if name in _SETTINGS:
        from tunelab.entities import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'tunelab.entities' has no attribute {name!r}")
