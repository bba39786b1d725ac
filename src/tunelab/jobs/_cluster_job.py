"""The AutoML job of a clustering experiment (task ``clustering``): the clustering search
(``tunelab.ClusteringAutoML``, the engine of ``tunelab automl --task clustering``) with each
candidate recorded as a trial row, and the chosen clustering kept as the run's model."""

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from tunelab.entities.artifact_keys import model_prefix
from tunelab.entities.platform import Experiment
from tunelab.entities.settings import ClusteringSettings
from tunelab.entities.trials import TrialRecord, TrialStatus
from tunelab.jobs._automl_settings import experiment_settings
from tunelab.jobs._context import JobContext

# the live score of a candidate (the choice rule ranks every score once the search ends)
METRIC = "silhouette"
LEADERBOARD_ROWS = 200  # clustering leaderboard rows kept with the model (REST and Run page)
_STATUS = {"ok": TrialStatus.OK, "failed": TrialStatus.FAILED, "skipped": TrialStatus.PRUNED}


def candidate_params(candidate: Any) -> dict[str, Any]:
    """A candidate's configuration as one trial's params: pipeline steps, k, family settings."""
    return {
        "scaling": candidate.scaling,
        "reduction": candidate.reduction,
        "k": candidate.k,
        **candidate.params,
    }


class CandidateTrials:
    """``ClusterSearch`` callbacks -> the ``StoreCallbacks`` trial events and rows."""

    def __init__(self, callbacks: Any) -> None:
        self.callbacks = callbacks

    def on_candidate_start(self, candidate: Any) -> None:
        self.callbacks.on_trial_start(
            {
                "number": candidate.number,
                "family": candidate.algorithm,
                "params": candidate_params(candidate),
                "source": "search",
            }
        )

    def on_candidate_end(self, candidate: Any) -> None:
        status = _STATUS.get(candidate.status, TrialStatus.FAILED)
        record = TrialRecord(
            number=candidate.number,
            family=candidate.algorithm,
            params=candidate_params(candidate),
            status=status,
            score=candidate.silhouette if status is TrialStatus.OK else None,
            fit_time=float(candidate.fit_time),
            reason=candidate.error or "",
            source="search",
            host="",
            node_id="local",
        )
        self.callbacks.on_trial_end(record)


def clustering_options(experiment: Experiment) -> ClusteringSettings:
    """The experiment's clustering settings (automatic k, no evaluation column by default)."""
    return experiment_settings(experiment).clustering or ClusteringSettings()


def clustering_engine(experiment: Experiment, callbacks: Any) -> Any:
    """An unfitted ``ClusteringAutoML`` with the experiment's settings (budget, algorithms,
    seed, number of clusters; ``max_trials`` caps the candidates), reporting each candidate
    to ``callbacks`` (``StoreCallbacks``) as a trial."""
    from tunelab.automl import ClusteringAutoML

    settings = experiment_settings(experiment)
    options = settings.clustering or ClusteringSettings()
    return ClusteringAutoML(
        n_clusters=options.n_clusters,
        algorithms=list(settings.algorithms) if settings.algorithms else None,
        time_budget=float(settings.time_budget or 60.0),
        max_candidates=settings.max_trials,
        seed=settings.seed,
        callbacks=[CandidateTrials(callbacks)],
    )


def save_clustering_model(ctx: JobContext, experiment_id: str, engine: Any, run: int) -> str:
    """Store the clustering bundle as a model of run ``run``; its metrics carry the scores,
    the choice rule and the clustering leaderboard (the Run page and REST read them)."""
    model_id = uuid.uuid4().hex
    prefix = model_prefix(model_id)
    workdir = Path(tempfile.mkdtemp(prefix="tunelab-model-"))
    try:
        bundle = engine.save(workdir / "bundle")
        ctx.artifacts.put_dir(prefix, bundle)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from tunelab.evaluation import jsonable

    search = engine.search_
    best = search.best_
    board = engine.leaderboard().head(LEADERBOARD_ROWS)
    ctx.store.add_model(
        id=model_id,
        name=f"{best.algorithm} (k={engine.n_clusters_})",
        uri=prefix,
        experiment_id=experiment_id,
        task="clustering",
        metrics=jsonable(
            {
                "metric": METRIC,
                "run": run,
                "validation": "all rows (clustering: no split)",
                "best": {**best.row(), "number": best.number},
                "n_clusters": engine.n_clusters_,
                "choice_rule": search.choice_rule_,
                "k_selection": search.k_selection(),
                "label": engine.label_,
                "label_scores": search.label_scores(),
                "stop_reason": search.stop_reason_,
                "n_candidates": len(search.candidates_),
                "leaderboard": board.to_dict(orient="records"),
            }
        ),
    )
    return model_id
