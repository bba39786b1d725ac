"""Request bodies of the experiments API."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Task = Literal["binary", "multiclass", "regression"]


class ExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str
    target: str = Field(min_length=1)
    task: Task | None = None
    metric: str | None = None
    time_budget: float | None = Field(default=None, gt=0)
    name: str | None = None
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Engine settings: max_trials, algorithms, ensemble, sampler, seed, ...",
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
    settings: dict[str, Any] | None = Field(
        default=None, description="Merged into the current settings."
    )


class CopyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str | None = Field(
        default=None, description="Re-apply the settings to another dataset."
    )
    name: str | None = None
