"""Frozen value objects shared by every layer of tunelab. No I/O happens here."""

from tunelab.entities.columns import ColumnKind, ColumnProfile, DatasetProfile, LeakageWarning
from tunelab.entities.errors import (
    BundleError,
    ConfigError,
    DataError,
    SchemaError,
    TunelabError,
)
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
from tunelab.entities.settings import (
    ENSEMBLES,
    LOG_LEVELS,
    SAMPLERS,
    AutoMLSettings,
    AutoMLSettingsPatch,
    ExperimentSettings,
    PreprocessingDefaults,
    SamplingSettings,
    SettingsError,
    SplitSettings,
    parse_settings,
)
from tunelab.entities.tasks import TaskType
from tunelab.entities.trials import TrialRecord, TrialStatus

__all__ = [
    "ENSEMBLES",
    "LOG_LEVELS",
    "SAMPLERS",
    "AutoMLSettings",
    "AutoMLSettingsPatch",
    "ExperimentSettings",
    "PreprocessingDefaults",
    "SamplingSettings",
    "SettingsError",
    "SplitSettings",
    "parse_settings",
    "BundleError",
    "ColumnKind",
    "ColumnProfile",
    "ColumnSettings",
    "ConfigError",
    "DataError",
    "DatasetProfile",
    "Encoding",
    "FeatureEngineering",
    "Imputation",
    "LeakageWarning",
    "OutlierRule",
    "PreprocessingSettings",
    "SamplingConfig",
    "Scaling",
    "SchemaError",
    "SearchBudget",
    "SplitConfig",
    "SplitKind",
    "TaskType",
    "Transformation",
    "TrialRecord",
    "TrialStatus",
    "TunelabError",
]
