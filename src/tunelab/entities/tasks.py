"""Problem types."""

from enum import StrEnum


class TaskType(StrEnum):
    """The problem a model solves: three supervised tasks, and clustering (no target)."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"
    CLUSTERING = "clustering"

    @property
    def is_classification(self) -> bool:
        return self in (TaskType.BINARY, TaskType.MULTICLASS)

    @property
    def is_supervised(self) -> bool:
        return self is not TaskType.CLUSTERING
