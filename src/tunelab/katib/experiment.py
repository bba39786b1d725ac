"""``run_experiment``: run a Katib Experiment locally, with persistence and resume."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import optuna

from tunelab.katib.algorithms import check_supported, make_sampler
from tunelab.katib.executor import SubprocessExecutor, TrialExecutor
from tunelab.katib.persist import STUDY_FILE, ExperimentStore
from tunelab.katib.results import ExperimentResult, TrialResult
from tunelab.katib.runner import ExperimentRunner
from tunelab.katib.spec import ExperimentSpec

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_TRIAL_TIMEOUT = 3600.0


def open_study(
    spec: ExperimentSpec,
    storage: str | optuna.storages.BaseStorage | None,
    sampler: optuna.samplers.BaseSampler,
    *,
    study_name: str | None = None,
    resume: bool = False,
) -> optuna.Study:
    """Create (or, with ``resume``, load) the study; stale RUNNING trials become FAIL."""
    study = optuna.create_study(
        study_name=study_name or spec.name,
        storage=storage,
        sampler=sampler,
        direction="maximize" if spec.objective.maximize else "minimize",
        load_if_exists=resume,
    )
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    return study


def run_experiment(
    spec: ExperimentSpec,
    workdir: str | Path,
    out_dir: str | Path,
    resume: bool = False,
    console: Console | None = None,
    *,
    trial_timeout: float | None = DEFAULT_TRIAL_TIMEOUT,
    source_dir: str | Path | None = None,
    ray_address: str | None = None,
) -> ExperimentResult:
    """Run ``spec``'s trials as local subprocesses until Katib's end condition.

    Trials run in ``workdir/<trial-name>/``; ``out_dir`` gets ``experiment.json`` (after
    every trial) and the Optuna study (``optuna.db``, SQLite). ``resume`` reloads both and
    continues; trials that were running at the interruption run again. ``trial_timeout``
    applies when the template has no ``activeDeadlineSeconds``. ``source_dir`` (default:
    the current folder) is where relative script paths in the command are looked up.
    With ``ray_address`` each trial runs as a Ray task on that cluster (see ``ray_executor``).
    """
    check_supported(spec)
    work, out = Path(workdir), Path(out_dir)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    store = ExperimentStore(spec, out)
    previous: list[TrialResult] = []
    db = out / STUDY_FILE
    if resume:
        previous = store.load_for_resume()
    else:
        store.check_fresh()
        db.unlink(missing_ok=True)
    sampler, notes = make_sampler(spec)
    storage = optuna.storages.RDBStorage(f"sqlite:///{db.resolve()}")
    study = open_study(spec, storage, sampler, resume=resume)
    local = SubprocessExecutor(
        spec,
        default_timeout=trial_timeout,
        source_dir=Path(source_dir) if source_dir is not None else Path.cwd(),
    )
    executor: TrialExecutor = local
    if ray_address:
        from tunelab.katib.ray_executor import RayTrialExecutor

        executor = RayTrialExecutor(local, ray_address)
    live: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    on_progress = None
    if console is not None:
        from tunelab.katib.progress import LiveProgress

        progress = LiveProgress(console)
        live, on_progress = progress, progress.update
    runner = ExperimentRunner(
        spec,
        executor=executor,
        workdir=work,
        store=store,
        notes=notes,
        on_progress=on_progress,
    )
    with live:
        return runner.run(study, previous)
