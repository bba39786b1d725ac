"""Request bodies of the experiments API."""

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from tunelab.entities.settings import AutoMLSettings, AutoMLSettingsPatch
from tunelab.server.schemas import ExperimentOut, Page

Task = Literal["binary", "multiclass", "regression", "clustering"]
RunQuery = Annotated[
    int | None, Query(ge=1, description="The run (1, 2, ...); the latest run when left out.")
]


class ExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str
    target: str | None = Field(
        default=None,
        min_length=1,
        description="May be left out: the experiment is created but cannot start until set. "
        "Task 'clustering' takes none (its options are `settings.clustering`).",
    )
    task: Task | None = None
    metric: str | None = None
    time_budget: float | None = Field(default=None, gt=0)
    name: str | None = None
    settings: AutoMLSettings = Field(
        default_factory=AutoMLSettings,
        description="Engine settings (see docs/experiments.md); keys left out take their "
        "defaults.",
    )


class ExperimentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None, description="The version you read; a stale one answers 409."
    )
    name: str | None = None
    target: str | None = None
    task: Task | None = None
    metric: str | None = None
    settings: AutoMLSettingsPatch | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Top-level keys replace the current ones; null restores a default.",
    )


class CopyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str | None = Field(
        default=None, description="Re-apply the settings to another dataset."
    )
    name: str | None = None


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(description="The dataset that gets this experiment's settings.")
    name: str | None = None


class ApplyOut(BaseModel):
    id: str
    target: str | None = Field(description="None when the other dataset lacks the target.")
    dropped: list[str] = Field(
        default_factory=list, description="Settings left out: they name absent columns."
    )


class ExperimentPage(Page[ExperimentOut]):
    total: int = Field(description="How many experiments match the filters.")


class ClassCounts(BaseModel):
    target: str
    task: str | None
    counts: dict[str, int] = Field(description="Rows per class label, largest first.")
    n_rows: int


class SplitsOut(BaseModel):
    kind: str
    description: str
    n_rows: int
    n_labelled: int
    n_folds: int
    unused: int
    fold_sizes: list[int]
    parts: dict[str, dict[str, Any]]
