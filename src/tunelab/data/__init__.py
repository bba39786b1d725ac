"""Reading tables, inferring column kinds and tasks, profiling and leakage checks."""

from tunelab.data._dictionary import DICTIONARY_FIELDS, check_entry, data_dictionary
from tunelab.data._fingerprint import fingerprint
from tunelab.data._kinds import coerce_frame, infer_column_kinds
from tunelab.data._leakage import find_leakage
from tunelab.data._limits import default_limits, set_default_limits
from tunelab.data._profile import profile_dataset
from tunelab.data._profile_file import profile_file
from tunelab.data._readers import SUPPORTED_EXTENSIONS, read_table
from tunelab.data._table_check import HEAD_BYTES, check_table
from tunelab.data._target import PreparedTarget, infer_task, prepare_target

__all__ = [
    "DICTIONARY_FIELDS",
    "HEAD_BYTES",
    "SUPPORTED_EXTENSIONS",
    "PreparedTarget",
    "check_entry",
    "check_table",
    "coerce_frame",
    "data_dictionary",
    "default_limits",
    "find_leakage",
    "fingerprint",
    "infer_column_kinds",
    "infer_task",
    "prepare_target",
    "profile_dataset",
    "profile_file",
    "read_table",
    "set_default_limits",
]
