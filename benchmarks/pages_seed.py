"""Seed a tunelab home for the page and listing benchmarks, straight through the stores.

Everything goes through ``tunelab.tracking.MetadataStore`` and ``tunelab.artifacts``
(no server): the bundled sample datasets are stored and profiled by the real
``parse_profile`` job, the featured experiment is a real (short) AutoML run through the real
``automl`` job (trials, events, split parts, model bundle), then topped up with synthetic
trials to the wanted leaderboard size; its model gets a real evaluation, a deployment and a
prediction history with explanations. Jobs run in this process with ``Worker.run_once``.

Synthetic trials are built as ``TrialRecord``s (family and hyper-parameters drawn from the
family's real search space, preprocessing flavor, status mix, scores, times) and written in
bulk with the same row mapping as ``MetadataStore.record_trial`` (one transaction per
1,000 rows: ``record_trial`` commits one row at a time, minutes for 15,000 rows).
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import ExperimentStatus
from tunelab.entities.trials import TrialRecord, TrialStatus
from tunelab.tracking import MetadataStore, jsonable

SAMPLES = ("credit-g", "yeast", "abalone")  # bundled with tunelab (server/datasets/samples)
FEATURED = ("credit-g", "class")
FAMILIES = (
    "lightgbm",
    "xgboost",
    "catboost",
    "random_forest",
    "extra_trees",
    "logistic_regression",
)
OTHER_STATUSES = (
    ExperimentStatus.FINISHED,
    ExperimentStatus.FINISHED,
    ExperimentStatus.READY,
    ExperimentStatus.FAILED,
    ExperimentStatus.STOPPED,
    ExperimentStatus.RUNNING,
)
BATCH = 1000


@dataclass(frozen=True)
class PagesSeed:
    """Ids of what the benchmark opens."""

    home: Path
    dataset_ids: dict[str, str]
    experiment_ids: list[str]
    featured_id: str
    featured_job_id: str
    model_id: str
    deployment_id: str


def store_url(home: Path) -> str:
    """The SQLite URL ``tunelab serve --home HOME`` uses."""
    return f"sqlite:///{home / 'tunelab.db'}"


def open_artifacts(home: Path) -> ArtifactStore:
    return ArtifactStore(str(home / "artifacts"))


def run_queued_jobs(store: MetadataStore, artifacts: ArtifactStore, kind: str) -> int:
    """Run the queued jobs of ``kind`` in this process (the real handler); returns how many."""
    from tunelab.jobs import Worker, default_handlers

    handlers = {kind: default_handlers()[kind]}
    worker = Worker(store, artifacts, handlers, worker_id="bench-seed")
    done = 0
    while worker.run_once() is not None:
        done += 1
    return done


def add_sample_datasets(
    store: MetadataStore, artifacts: ArtifactStore, names: tuple[str, ...] = SAMPLES
) -> dict[str, str]:
    """Store the bundled samples as datasets and profile them (parse_profile jobs)."""
    from tunelab.server.datasets.samples import get_sample, sample_path

    ids = {}
    for name in names:
        entry, path = get_sample(name), sample_path(name)
        dataset_id = uuid.uuid4().hex
        info = artifacts.put_file(f"datasets/{dataset_id}/{entry['file']}", path)
        store.add_dataset(
            id=dataset_id,
            name=str(entry["file"]),
            source=f"sample:{name}",
            uri=info.key,
            size_bytes=info.size,
            sha256=info.sha256,
        )
        store.enqueue_job("parse_profile", {"dataset_id": dataset_id})
        ids[name] = dataset_id
    run_queued_jobs(store, artifacts, "parse_profile")
    return ids


def _draw(distribution: Any, rng: random.Random) -> Any:
    """One value from an Optuna distribution (what the search would try)."""
    if hasattr(distribution, "choices"):
        return rng.choice(distribution.choices)
    low, high = distribution.low, distribution.high
    if distribution.log:
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    else:
        value = rng.uniform(low, high)
    if type(distribution).__name__ == "IntDistribution":
        return max(low, min(high, round(value)))
    return value


def _spaces(task: str) -> dict[str, tuple[str, dict[str, Any]]]:
    from tunelab.entities import TaskType
    from tunelab.models import ModelContext, get_model_spec

    n_classes = 2 if task == "binary" else (0 if task == "regression" else 5)
    ctx = ModelContext(task=TaskType(task), n_rows=1000, n_features=20, n_classes=n_classes)
    out = {}
    for family in FAMILIES:
        spec = get_model_spec(family)
        if TaskType(task) in spec.tasks:
            out[family] = (spec.flavor, spec.search_space(ctx))
    return out


def trial_records(
    n: int, *, start: int = 0, task: str = "binary", seed: int = 0
) -> list[TrialRecord]:
    """``n`` realistic leaderboard rows numbered from ``start`` (score: ROC AUC or R²)."""
    rng = random.Random(seed)
    spaces = _spaces(task)
    families = sorted(spaces)
    records = []
    for number in range(start, start + n):
        family = families[number % len(families)]
        flavor, space = spaces[family]
        params = {name: _draw(dist, rng) for name, dist in space.items()}
        roll = rng.random()
        status = (
            TrialStatus.OK
            if roll < 0.9
            else TrialStatus.FAILED
            if roll < 0.95
            else TrialStatus.TIMED_OUT
            if roll < 0.98
            else TrialStatus.PRUNED
        )
        ok = status is TrialStatus.OK
        reason = {
            TrialStatus.FAILED: "ValueError: Input contains NaN after the transformation",
            TrialStatus.TIMED_OUT: "exceeded the per-trial timeout of 60 s",
            TrialStatus.PRUNED: "pruned at fold 2 (below the median)",
        }.get(status, "")
        records.append(
            TrialRecord(
                number=number,
                family=family,
                params=params,
                status=status,
                score=round(min(0.99, rng.gauss(0.74, 0.04)), 6) if ok else None,
                score_std=round(abs(rng.gauss(0.02, 0.008)), 6) if ok else None,
                fit_time=round(rng.lognormvariate(0.0, 1.0), 4),
                predict_time=round(rng.lognormvariate(-3.0, 0.7), 4),
                preprocessing={"flavor": flavor},
                reason=reason,
                source="baseline" if number == 0 else "portfolio" if number < 8 else "search",
            )
        )
    return records


def _trial_row(experiment_id: str, record: TrialRecord, created_at: Any) -> dict[str, Any]:
    """The ``trials`` row ``MetadataStore.record_trial`` writes for ``record``."""
    from tunelab.tracking._experiments import trial_values

    return {
        "id": uuid.uuid4().hex,
        "experiment_id": experiment_id,
        "number": record.number,
        **trial_values(record),
        "created_at": created_at,
    }


def insert_trials(
    store: MetadataStore,
    experiment_id: str,
    records: list[TrialRecord],
    job_id: str | None = None,
) -> None:
    """Write ``records`` as trial rows (and, with ``job_id``, their trial_start/trial_end
    events as the AutoML job emits them), one transaction per BATCH rows."""
    from sqlalchemy import insert

    from tunelab.tracking._orm import TrialRow

    store.get_experiment(experiment_id)  # NotFoundError before writing anything
    times = _times(len(records))
    for at in range(0, len(records), BATCH):
        chunk = records[at : at + BATCH]
        rows = [
            _trial_row(experiment_id, r, t)
            for r, t in zip(chunk, times[at : at + BATCH], strict=True)
        ]
        with store.engine.begin() as conn:
            conn.execute(insert(TrialRow), rows)
    if job_id is not None:
        insert_trial_events(store, job_id, experiment_id, records)


def _times(n: int) -> list[Any]:
    from tunelab.tracking._orm import utcnow

    base = utcnow() - timedelta(seconds=n)
    return [base + timedelta(seconds=i) for i in range(n)]


def insert_trial_events(
    store: MetadataStore, job_id: str, experiment_id: str, records: list[TrialRecord]
) -> None:
    """The trial_start/trial_end event pair of each record, as the AutoML job writes them."""
    from sqlalchemy import insert

    from tunelab.tracking._orm import JobEventRow

    store.get_job(job_id)  # NotFoundError before writing anything
    times = _times(len(records))
    for at in range(0, len(records), BATCH):
        events = []
        for r, t in zip(records[at : at + BATCH], times[at : at + BATCH], strict=True):
            start = {"experiment_id": experiment_id, "number": r.number, "family": r.family}
            start["params"] = jsonable(r.params)
            end = {**start, "status": str(r.status), "score": r.score, "slot": 0}
            events.append(_event(job_id, "trial_start", start, t - timedelta(seconds=r.fit_time)))
            events.append(_event(job_id, "trial_end", end, t))
        with store.engine.begin() as conn:
            conn.execute(insert(JobEventRow), events)


def _event(job_id: str, kind: str, data: dict[str, Any], at: Any) -> dict[str, Any]:
    return {"job_id": job_id, "kind": kind, "data": jsonable(data), "created_at": at}


def start_run(store: MetadataStore, experiment_id: str) -> str:
    """Mark the experiment running and queue its AutoML job (as the REST ``start`` does)."""
    store.transition_experiment(
        experiment_id,
        to=ExperimentStatus.RUNNING,
        allowed_from=[ExperimentStatus.READY, ExperimentStatus.FINISHED, ExperimentStatus.STOPPED],
        error="",
    )
    job = store.enqueue_job("automl", {"experiment_id": experiment_id})
    store.update_experiment(experiment_id, job_id=job.id)
    return job.id


def _featured(
    store: MetadataStore,
    artifacts: ArtifactStore,
    dataset_id: str,
    *,
    n_trials: int,
    train_budget: float,
    evaluate: bool,
    seed: int,
) -> tuple[str, str, str]:
    """A real AutoML run on credit-g (job, trials, events, splits, model) topped up with
    synthetic trials to ``n_trials``; returns (experiment id, job id, model id)."""
    settings = {
        "time_budget": train_budget,
        "algorithms": ["lightgbm", "logistic_regression"],
        "ensemble": "none",
        "n_jobs": 1,
        "seed": seed,
        "description": "benchmark: a real short run topped up with synthetic trials",
    }
    experiment = store.create_experiment(
        dataset_id=dataset_id,
        target=FEATURED[1],
        name=f"German credit, {n_trials:,} trials",
        settings=settings,
    )
    job_id = start_run(store, experiment.id)
    run_queued_jobs(store, artifacts, "automl")
    done = store.get_experiment(experiment.id)
    if done.status is not ExperimentStatus.FINISHED or done.best_model_id is None:
        raise RuntimeError(f"the seeding AutoML run ended {done.status.value}: {done.error}")
    real = store.count_trials(experiment.id)
    extra = trial_records(max(0, n_trials - real), start=real, task=str(done.task), seed=seed)
    insert_trials(store, experiment.id, extra, job_id)
    if evaluate:
        from tunelab.server.models.service import start_evaluation

        start_evaluation(store, artifacts, done.best_model_id)
        run_queued_jobs(store, artifacts, "evaluate")
    return experiment.id, job_id, done.best_model_id


def _deploy(
    store: MetadataStore, artifacts: ArtifactStore, home: Path, model_id: str, n_predictions: int
) -> str:
    """Deploy the model and store ``n_predictions`` real predictions with explanations."""
    import pandas as pd

    from tunelab.server.datasets.samples import sample_path
    from tunelab.server.predictor import PredictorCache

    deployment = store.create_deployment(model_id, name="credit-risk")
    predictor = PredictorCache(store, artifacts, home / "cache").get(deployment.id)
    frame = pd.read_csv(sample_path(FEATURED[0])).drop(columns=[FEATURED[1]])
    rows = jsonable(frame.head(n_predictions).to_dict(orient="records"))
    for record in rows:
        outputs = predictor.predict([record])
        store.add_prediction(
            deployment.id,
            inputs=[record],
            outputs=outputs,
            latency_ms=2.0,
            explanation={"rows": predictor.explain([record])},
        )
    return deployment.id


def _others(
    store: MetadataStore, dataset_ids: dict[str, str], n: int, n_trials: int, seed: int
) -> list[str]:
    """``n`` more experiments on the samples, statuses mixed, finished ones with trials."""
    from tunelab.evaluation import default_metric
    from tunelab.server.datasets.samples import get_sample

    ids = []
    names = sorted(dataset_ids)
    for i in range(n):
        sample = names[i % len(names)]
        entry = get_sample(sample)
        target, task = str(entry["target"]), str(entry["task"])
        metric = default_metric(task).name
        status = OTHER_STATUSES[i % len(OTHER_STATUSES)]
        experiment = store.create_experiment(
            dataset_id=dataset_ids[sample],
            target=target,
            name=f"{sample} run {i + 1}",
            task=task,
            metric=metric,
            settings={"time_budget": 60, "ensemble": "greedy"},
        )
        ids.append(experiment.id)
        if status is ExperimentStatus.READY:
            continue
        job_id = start_run(store, experiment.id)
        if status is ExperimentStatus.RUNNING:
            continue  # its job stays queued (no worker in the page benchmark)
        records = trial_records(n_trials, task=task, seed=seed + i)
        insert_trials(store, experiment.id, records, job_id)
        error = "DataError: target column 'class' has a single class" if i % 7 == 3 else ""
        store.transition_experiment(
            experiment.id,
            to=status,
            allowed_from=[ExperimentStatus.RUNNING],
            error=error if status is ExperimentStatus.FAILED else "",
        )
    return ids


def seed_pages(
    home: Path,
    *,
    n_experiments: int = 100,
    n_trials: int = 5000,
    other_trials: int = 20,
    train_budget: float = 10.0,
    evaluate: bool = True,
    eda: bool = True,
    n_predictions: int = 20,
    seed: int = 0,
) -> PagesSeed:
    """A fresh home with ``n_experiments`` experiments, the featured one with ``n_trials``."""
    home.mkdir(parents=True, exist_ok=True)
    artifacts = open_artifacts(home)
    with MetadataStore(store_url(home)) as store:
        if store.count_experiments():
            raise RuntimeError(f"{home} already holds experiments: seed a fresh home")
        dataset_ids = add_sample_datasets(store, artifacts)
        featured, job_id, model_id = _featured(
            store,
            artifacts,
            dataset_ids[FEATURED[0]],
            n_trials=n_trials,
            train_budget=train_budget,
            evaluate=evaluate,
            seed=seed,
        )
        others = _others(store, dataset_ids, n_experiments - 1, other_trials, seed + 1)
        deployment_id = _deploy(store, artifacts, home, model_id, n_predictions)
        if eda:
            payload = {"dataset_id": dataset_ids[FEATURED[0]], "target": FEATURED[1]}
            store.enqueue_job("eda", payload)
            run_queued_jobs(store, artifacts, "eda")
    return PagesSeed(
        home=home,
        dataset_ids=dataset_ids,
        experiment_ids=[featured, *others],
        featured_id=featured,
        featured_job_id=job_id,
        model_id=model_id,
        deployment_id=deployment_id,
    )


def grow_for_lists(
    home: Path, dataset_id: str, *, n_experiments: int = 1000, n_trials: int = 10_000
) -> str:
    """Add ready experiments until there are ``n_experiments`` (one of them a finished run
    with an ``n_trials`` leaderboard); returns the id of that one."""
    with MetadataStore(store_url(home)) as store:
        big = store.create_experiment(
            dataset_id=dataset_id,
            target=FEATURED[1],
            name=f"German credit, {n_trials:,} trials",
            task="binary",
            metric="roc_auc",
        )
        job_id = start_run(store, big.id)
        insert_trials(store, big.id, trial_records(n_trials, seed=7), job_id)
        store.transition_experiment(
            big.id, to=ExperimentStatus.FINISHED, allowed_from=[ExperimentStatus.RUNNING]
        )
        for i in range(max(0, n_experiments - store.count_experiments())):
            store.create_experiment(
                dataset_id=dataset_id, target=FEATURED[1], name=f"listing filler {i + 1}"
            )
    return big.id
