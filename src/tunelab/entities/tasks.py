"""Problem types."""

from enum import StrEnum


class TaskType(StrEnum):
    """The supervised problem a model solves."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not TaskType.REGRESSION
