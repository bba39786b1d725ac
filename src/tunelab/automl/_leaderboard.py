"""The leaderboard as a table."""

import json
from typing import Any

import numpy as np
import pandas as pd

from tunelab.automl._final import FinalModel
from tunelab.entities import TaskType, TrialRecord, TrialStatus
from tunelab.evaluation import get_metric

COLUMNS = [
    "rank",
    "name",
    "trial",
    "family",
    "source",
    "status",
    "score",
    "score_std",
    "fit_time",
    "predict_time",
    "params",
    "preprocessing",
    "reason",
    "host",
    "node_id",
]


def model_name(record: TrialRecord) -> str:
    """Stable display name of a trial's model (used in reports and bundles)."""
    return f"{record.family}_{record.number}"


def leaderboard_frame(
    records: list[TrialRecord], final: FinalModel, metric: str, task: TaskType
) -> pd.DataFrame:
    """One row per trial, OK trials ranked best first, then the others; the final
    ensemble (when it is not a single trial) is the first row."""
    greater = get_metric(metric, task).greater_is_better
    rows = []
    for r in records:
        rows.append(
            {
                "name": model_name(r),
                "trial": r.number,
                "family": r.family,
                "source": r.source,
                "status": r.status.value,
                "score": r.score,
                "score_std": r.score_std,
                "fit_time": round(r.fit_time, 3),
                "predict_time": round(r.predict_time, 3),
                "params": json.dumps(r.params, sort_keys=True, default=str),
                "preprocessing": json.dumps(r.preprocessing, sort_keys=True, default=str),
                "reason": r.reason,
                "host": r.host,
                "node_id": r.node_id,
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    top: dict[str, Any] | None = None
    if final.kind in ("ensemble", "stacked"):
        members = {f"trial {n}": round(w, 4) for n, w in final.members.items()}
        top = {
            "name": final.kind,
            "trial": -1,
            "family": final.kind,
            "source": "ensemble",
            "status": TrialStatus.OK.value,
            "score": final.score,
            "score_std": None,
            "fit_time": 0.0,
            "predict_time": 0.0,
            "params": json.dumps(members, sort_keys=True),
            "preprocessing": "{}",
            "reason": "",
            "host": "",
            "node_id": "",
        }
    ok = frame["status"] == TrialStatus.OK.value
    key = frame["score"].astype(float) * (-1.0 if greater else 1.0)
    key = key.where(ok & frame["score"].notna(), np.inf)
    frame = frame.assign(_key=key).sort_values(["_key", "trial"], kind="stable")
    frame = frame.drop(columns="_key").reset_index(drop=True)
    if top is not None:  # first even without a score (stacking has no out-of-fold score)
        frame = pd.concat([pd.DataFrame([top]), frame], ignore_index=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame
