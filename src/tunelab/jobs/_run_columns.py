"""The per-column settings a run started with, kept beside the run's split.

The dataset's column settings may change after a run (the Columns page); a trial of that run
refitted later as a model of its own must use the settings the run searched with, so the run
records them once, at its start, and a resumed run reads them back instead of the current ones.
"""

import json
from typing import Any

from tunelab.entities.artifact_keys import run_columns_key
from tunelab.entities.platform import Experiment
from tunelab.jobs._context import JobContext


def run_column_settings(ctx: JobContext, experiment: Experiment, run: int) -> dict[str, Any]:
    """Run ``run``'s column settings: recorded now from the dataset on its first start, read
    back on a resume."""
    recorded = recorded_column_settings(ctx, experiment.id, run)
    if recorded is not None:
        return recorded
    settings = dict(ctx.store.get_dataset(experiment.dataset_id).column_settings or {})
    ctx.artifacts.put_bytes(run_columns_key(experiment.id, run), json.dumps(settings).encode())
    return settings


def recorded_column_settings(
    ctx: JobContext, experiment_id: str, run: int
) -> dict[str, Any] | None:
    """What run ``run`` recorded at its start; None for runs made before runs recorded it."""
    key = run_columns_key(experiment_id, run)
    if not ctx.artifacts.exists(key):
        return None
    loaded = json.loads(ctx.artifacts.read_bytes(key))
    return dict(loaded) if isinstance(loaded, dict) else None
