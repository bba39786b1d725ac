"""``tunelab.AutoML``: from a table to a tuned, ensembled model."""

import dataclasses
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.automl._budget import PhaseCosts, PhasePlanner, ranked_kept
from tunelab.automl._final import FinalModel, build_final, release_unused_models
from tunelab.automl._leaderboard import leaderboard_frame
from tunelab.automl._prepare import encode_target, plan_splits
from tunelab.automl._refit import Refit, refit_best
from tunelab.automl._refit_final import refit_members, with_refitted_members
from tunelab.automl._settings import check_algorithms
from tunelab.automl._speed import SingleChoice, choose_single, measure_budget
from tunelab.automl._synthetic import prepare_synthetic, synthetic_report
from tunelab.data import prepare_target, profile_dataset
from tunelab.entities import (
    AutoMLSettings,
    ConfigError,
    DatasetProfile,
    ExperimentSettings,
    PreprocessingSettings,
    SamplingConfig,
    SearchBudget,
    SplitConfig,
    TaskType,
    TrialRecord,
    parse_settings,
)
from tunelab.evaluation import default_metric, get_metric
from tunelab.executors import TrialExecutor
from tunelab.models import families_for_budget
from tunelab.preprocessing import recommend
from tunelab.search import (
    SearchOptions,
    SearchProblem,
    SearchResult,
    TrialData,
    run_search,
)

_DEFAULT = ExperimentSettings()  # the defaults, declared once in the settings model
# AutoML arguments that are settings (``ExperimentSettings`` fields of the same name)
_SETTING_ARGS = (
    "task",
    "metric",
    "time_budget",
    "trial_timeout",
    "max_trials",
    "algorithms",
    "split",
    "test_ratio",
    "sampling",
    "ensemble",
    "sampler",
    "seed",
    "n_jobs",
    "early_stopping_rounds",
    "memory_limit_mb",
    "cpu_per_trial",
    "gpu_per_trial",
    "refit_best",
    "refit_final",
    "infer_limit",
)
# The search may end up to this share of the time budget early to refit its best trial.
REFIT_SHARE = 0.2
# Most MB of fold models the search keeps (its best trials' bags, the ensemble's candidates):
# they live in the parent process until the run is saved, and the final model is made of
# them. Past it the worst kept trials are dropped (see ``SearchOptions.keep_mb``).
KEEP_MB = 160.0
# ... for the refits of this many best trials (the likely ensemble members) with refit_final.
REFIT_TOP = 2


def _refit_top(run: AutoMLSettings, n_folds: int) -> int:
    """How many of the best trials the search keeps time to refit after it. None with a
    holdout (one fold): its refit only adds the validation rows to one model, so it runs
    only if time is left; a CV refit replaces k fold models by one."""
    if n_folds < 2:
        return 0
    if run.refit_final:
        return REFIT_TOP
    return 1 if run.refit_best else 0


class AutoML:
    """Search model families and hyperparameters within a budget, then ensemble the best.

    Args:
        task: "binary", "multiclass" or "regression"; inferred from the target when None.
        metric: the metric to optimise (see ``tunelab.evaluation.list_metrics``).
        time_budget: total seconds for ``fit`` (search, ensembling); None for no limit.
        trial_timeout: seconds after which one trial is killed; None derives it.
        max_trials: trial-count budget. With a seed and a trial budget, two runs give the
            same leaderboard (trials then run in synchronous batches).
        algorithms: model families to search (names from ``tunelab.models``); None picks
            strong defaults for the data size and budget.
        split: validation scheme; None means 5-fold CV (3-fold above 100k rows).
        test_ratio: share of rows held out as an untouched test part when ``split`` is None
            (0 uses every row for training; the test part is never used to choose).
        sampling: row sampling / class balancing / SMOTE on training folds.
        preprocessing: per-column settings; None uses ``recommend`` on the profile.
        ensemble: "greedy" (default), "stacking" or "none".
        sampler: Optuna sampler: tpe, random, grid, cmaes, qmc or gp.
        seed: random seed for splits, sampler and models.
        n_jobs: trials running in parallel (one process and one thread each).
        early_stopping_rounds: stop the search after this many trials without improvement.
        memory_limit_mb: kill a trial whose process exceeds this resident memory (on Ray:
            the memory each trial's task reserves).
        cpu_per_trial: CPUs per trial: its models' threads (``n_jobs``, BLAS/OpenMP); on
            Ray the task's ``num_cpus``.
        gpu_per_trial: GPUs each trial's Ray task reserves (``num_gpus``); local
            processes ignore it.
        refit_best: when the budget allows, refit the best trial's configuration as one
            model on all training rows (``refit_model_``; k times faster to predict than
            its fold bag). The final model (``model_``) is unchanged by it. With a time
            budget the search ends early enough for this refit (at most 20% of the budget).
        refit_final: refit the final model's members on all training rows too, while the
            time budget allows (AutoGluon's ``refit_full``); each replaces its fold bag
            with the same weight (``final_.refitted`` lists them). False keeps the bags.
        infer_limit: the most seconds per row the best single model (``best_model_``) may
            take to predict a batch, like AutoGluon's ``infer_limit``: the best trial fast
            enough is chosen (``best_single_note_`` says which and why). None: the best.
        callbacks: objects with any of ``on_trial_start``, ``on_trial_end``, ``on_best``
            (and ``on_trial_restored``, for trials a resumed search restored).
        checkpoint_dir: a folder where the search persists its state as it goes; a ``fit``
            given the folder of an interrupted fit of the same data and settings resumes it
            (see "Checkpoint and resume" in docs/automl.md).
        executor: where trials run (a ``tunelab.executors.TrialExecutor``); None: local
            child processes, ``n_jobs`` at once. A given executor is reused (one fit at a
            time), not shut down.

    The arguments are checked as one ``tunelab.entities.ExperimentSettings`` object when
    ``fit`` starts (``to_settings()`` builds it); ``AutoML.from_settings(settings)`` is the
    same engine built from such an object (what the platform's job and the CLI do).
    """

    def __init__(
        self,
        task: str | TaskType | None = None,
        metric: str | None = None,
        time_budget: float | None = _DEFAULT.time_budget,
        trial_timeout: float | None = None,
        max_trials: int | None = None,
        algorithms: Sequence[str] | None = None,
        split: SplitConfig | None = None,
        test_ratio: float = _DEFAULT.test_ratio,
        sampling: SamplingConfig | None = None,
        preprocessing: PreprocessingSettings | None = None,
        ensemble: str = _DEFAULT.ensemble,
        sampler: str = _DEFAULT.sampler,
        seed: int = _DEFAULT.seed,
        n_jobs: int = _DEFAULT.n_jobs,
        early_stopping_rounds: int | None = None,
        memory_limit_mb: float | None = None,
        cpu_per_trial: int = _DEFAULT.cpu_per_trial,
        gpu_per_trial: float = _DEFAULT.gpu_per_trial,
        refit_best: bool = _DEFAULT.refit_best,
        refit_final: bool = _DEFAULT.refit_final,
        infer_limit: float | None = None,
        callbacks: Sequence[Any] = (),
        checkpoint_dir: str | Path | None = None,
        executor: TrialExecutor | None = None,
    ) -> None:
        self.task = task
        self.metric = metric
        self.time_budget = time_budget
        self.trial_timeout = trial_timeout
        self.max_trials = max_trials
        self.algorithms = algorithms
        self.split = split
        self.test_ratio = test_ratio
        self.sampling = sampling
        self.preprocessing = preprocessing
        self.ensemble = ensemble
        self.sampler = sampler
        self.seed = seed
        self.n_jobs = n_jobs
        self.early_stopping_rounds = early_stopping_rounds
        self.memory_limit_mb = memory_limit_mb
        self.cpu_per_trial = cpu_per_trial
        self.gpu_per_trial = gpu_per_trial
        self.refit_best = refit_best
        self.refit_final = refit_final
        self.infer_limit = infer_limit
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.executor = executor
        self._passive: dict[str, Any] = {}  # settings the engine only carries (description...)
        self.opening: list[tuple[str, dict[str, Any]]] | None = None  # see ``from_settings``
        self._stop_event = threading.Event()

    # -- settings --------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls,
        settings: AutoMLSettings | Mapping[str, Any],
        *,
        preprocessing: PreprocessingSettings | None = None,
        callbacks: Sequence[Any] = (),
        checkpoint_dir: str | Path | None = None,
        executor: TrialExecutor | None = None,
        opening: Sequence[tuple[str, dict[str, Any]]] | None = None,
    ) -> "AutoML":
        """The engine for a settings object (or its JSON): checked now, naming bad fields.

        ``preprocessing`` (per-column settings) replaces the recommendation; the settings'
        ``preprocessing`` options still apply over it. ``opening`` lists ``(family, params)``
        configurations the search tries first instead of its default opening (with
        ``max_trials=1``: fit exactly that configuration, e.g. one trial of an earlier run).
        """
        checked = parse_settings(settings, ExperimentSettings)
        values: dict[str, Any] = {name: getattr(checked, name) for name in _SETTING_ARGS}
        values["split"] = checked.split_config
        values["sampling"] = checked.sampling_config
        values["test_ratio"] = checked.test_ratio or 0.0
        values["algorithms"] = None if checked.algorithms is None else list(checked.algorithms)
        engine = cls(
            **values,
            preprocessing=preprocessing,
            callbacks=callbacks,
            checkpoint_dir=checkpoint_dir,
            executor=executor,
        )
        engine.opening = None if opening is None else [(f, dict(p)) for f, p in opening]
        engine._passive = checked.model_dump(
            include={"description", "log_level", "target", "executor", "preprocessing"},
            exclude_unset=True,
        )
        return engine

    def to_settings(self) -> ExperimentSettings:
        """The arguments as one checked ``ExperimentSettings`` (``SettingsError`` names the
        bad field)."""
        values: dict[str, Any] = {name: getattr(self, name) for name in _SETTING_ARGS}
        values.update(getattr(self, "_passive", {}))
        for name in ("split", "sampling"):
            if dataclasses.is_dataclass(values[name]) and not isinstance(values[name], type):
                values[name] = dataclasses.asdict(values[name])
        if values["algorithms"] is not None and not isinstance(values["algorithms"], str):
            names = [str(a).strip() for a in values["algorithms"]]
            values["algorithms"] = [n for n in names if n] or None  # [] meant "all" here
        return parse_settings(values, ExperimentSettings)

    def stop(self) -> None:
        """Ask a running ``fit`` (in another thread) to stop; the best model so far is kept."""
        self._stop_event.set()

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        df: pd.DataFrame,
        target: str | None = None,
        *,
        budget_started: float | None = None,
        reserve_save: bool = False,
    ) -> "AutoML":
        """Search, ensemble and keep the final model. Returns ``self``.

        ``target`` may be left out when the settings given to ``from_settings`` name it.
        ``budget_started`` is the ``time.monotonic()`` instant the time budget began
        (default: now; the CLI passes its process's start, so that the budget spans the
        whole command). With ``reserve_save`` the search also keeps the predicted time of
        ``save`` free, and ``save`` cheapens its optional report parts to end in time.
        ``timings_`` records each phase, with what was reserved for the phases after the
        search (``planned``).
        """
        started = time.monotonic()
        budget_start = started if budget_started is None else min(budget_started, started)
        run = self.to_settings()
        target = target or run.target
        if not target:
            raise ConfigError("fit needs the target column: fit(df, target=...)")
        budget = run.budget
        self._stop_event.clear()
        prepared = prepare_target(df, target, run.task)
        task = prepared.task
        metric = get_metric(run.metric, task) if run.metric else default_metric(task)
        profile = profile_dataset(
            pd.concat([prepared.X, prepared.y.rename(target)], axis=1), target=target, task=task
        )
        for warning in profile.leakage:
            warnings.warn(f"possible target leakage: {warning.message}", stacklevel=2)
        settings = self.preprocessing or recommend(profile, target)
        if run.preprocessing is not None:
            settings = run.preprocessing.apply(settings)
        features = [c for c in settings.feature_columns if c in prepared.X.columns]
        if not features:
            raise ConfigError("no feature column is left to learn from (all are skipped)")
        X = prepared.X[features]
        encoded = encode_target(prepared.y, task)
        sampling = run.sampling_config
        planned_splits = plan_splits(
            encoded.y,
            prepared.X,  # all columns: a group/time column need not be a feature
            run.split_config,
            task=task,
            n_classes=encoded.n_classes,
            sampling=sampling,
            seed=run.seed,
            test_ratio=run.test_ratio or 0.0,
            n_columns=len(features),
            time_budget=budget.time_budget,
        )
        test_rows, fit_rows, folds = (
            planned_splits.test,
            planned_splits.fit_rows,
            planned_splits.folds,
        )
        split_text = planned_splits.description
        families = self._families(run, task, len(fit_rows), len(features))
        problem = SearchProblem(
            task=task,
            metric=metric.name,
            n_classes=encoded.n_classes,
            settings=settings,
            sampling=sampling,
            seed=run.seed,
            threads_per_trial=run.cpu_per_trial,
        )
        data = TrialData(
            X.iloc[fit_rows].reset_index(drop=True), encoded.y[fit_rows], tuple(folds)
        )
        save_prep = None
        if reserve_save:  # the bundle's data-only parts now; the planner uses their costs
            save_prep = _prepare_save(
                X, fit_rows, profile, task, encoded, data, run.seed, metric.name
            )
        deadline, planner = None, None
        if budget.time_budget is not None:
            deadline = budget_start + budget.time_budget
            if run.infer_limit is not None:  # time kept for timing the trials' predictions
                deadline -= measure_budget(budget.time_budget)
            # time kept for ensembling, refits and (with reserve_save) saving, predicted
            # from the kept trials as they finish
            planner = PhasePlanner(
                data,
                n_jobs=run.n_jobs,
                budget=budget.time_budget,
                refit_top=_refit_top(run, len(folds)),
                refit_cap=REFIT_SHARE * budget.time_budget,
                ensemble=run.ensemble != "none",
                n_classes=encoded.n_classes,
                save=reserve_save,
                n_test_rows=len(test_rows),
                evaluate_seconds=None if save_prep is None else save_prep.evaluate_seconds,
                probe=reserve_save,
                score_call_seconds=None if save_prep is None else save_prep.score_call_seconds,
                evaluate_plain_seconds=(
                    None if save_prep is None else save_prep.evaluate_plain_seconds
                ),
            )
        options = SearchOptions(
            families=tuple(families),
            sampler=run.sampler,
            n_workers=run.n_jobs,
            deadline=deadline,
            trial_timeout=self._trial_timeout(budget),
            max_trials=budget.max_trials,
            early_stopping_rounds=budget.early_stopping_rounds,
            memory_limit_mb=run.memory_limit_mb,
            gpus_per_trial=run.gpu_per_trial,
            opening=None
            if self.opening is None
            else tuple((family, dict(params), "trial") for family, params in self.opening),
            deterministic=budget.max_trials is not None,
            keep_mb=KEEP_MB,
            reserve=None if planner is None else planner.reserve,
        )
        # each training part's synthetic rows, once, within a share of the search's time
        preparation = prepare_synthetic(data, problem, deadline)
        if reserve_save:  # imported now, the search adapts to its cost; not after it
            import tunelab.bundles

            tunelab.bundles.skops_io()
        searched = time.monotonic()
        result = run_search(
            data,
            problem,
            options,
            callbacks=list(self.callbacks),
            stop_event=self._stop_event,
            checkpoint_dir=self.checkpoint_dir,
            started=started,
            executor=self.executor,
        )
        ensembled = time.monotonic()
        planned = PhaseCosts()
        if planner is not None:
            planned = planner.costs(ranked_kept(result))
        y_fit = encoded.y[fit_rows]
        valid_rows = data.valid_rows
        choice = SingleChoice(result.best_number)
        if run.infer_limit is not None:
            choice = choose_single(
                result,
                data,
                infer_limit=run.infer_limit,
                proba=task.is_classification,
                threads=run.n_jobs,
                seconds=measure_budget(budget.time_budget),
            )
        final = build_final(
            result,
            y_fit[valid_rows],
            problem,
            ensemble=run.ensemble,
            y_fit=y_fit,
            single_number=choice.number,
        )
        built = time.monotonic()
        refit = Refit(None, None, "refit_best=False")
        end = budget_end = None
        if budget.time_budget is not None:  # the budget spans resumed attempts
            budget_end = budget_start + budget.time_budget - result.elapsed_before
            # refits end before the time kept for saving and for the exit
            end = budget_end - planned.save - planned.margin
        if run.refit_best:
            refit = refit_best(
                result, data, problem, end=end, n_jobs=run.n_jobs, number=final.best_number
            )
        if run.refit_final:
            refits = refit_members(
                result, data, problem, final, end=end, n_jobs=run.n_jobs, done=refit
            )
            final = with_refitted_members(final, refits, encoded.n_classes)
        synthetic = synthetic_report(
            result,
            data,
            problem,
            target=target,
            X_test=X.iloc[test_rows],
            y_test=encoded.y[test_rows],
            refit=refit,
            end=end,
            n_jobs=run.n_jobs,
            preparation=preparation,
        )
        refitted = time.monotonic()
        release_unused_models(result, final, choice.number)
        self._store(
            synthetic=synthetic,
            choice=choice,
            refit=refit,
            task=task,
            metric=metric.name,
            target=target,
            profile=profile,
            settings=settings,
            X=X,
            encoded=encoded,
            test_rows=test_rows,
            fit_rows=fit_rows,
            folds=folds,
            split_text=split_text,
            split_rule="set by the user"
            if planned_splits.auto is None
            else f"default rule: {planned_splits.auto.reason}",
            result=result,
            final=final,
            families=families,
            n_dropped=prepared.n_dropped_missing_target,
            valid_rows=valid_rows,
        )
        ended = time.monotonic()
        self.fit_time_ = ended - started
        self.timings_: dict[str, Any] = {
            "prepare": round(searched - started, 3),
            "search": round(ensembled - searched, 3),
            "ensemble": round(built - ensembled, 3),
            "refit": round(refitted - built, 3),
            "store": round(ended - refitted, 3),
            "fit": round(ended - started, 3),
            "before_fit": round(started - budget_start, 3),
            "planned": planned.as_dict(),
            "validation": {"rule": "user", "split": split_text}
            if planned_splits.auto is None
            else planned_splits.auto.as_dict(),
        }
        if save_prep is not None:
            self.timings_["save_prepare"] = round(save_prep.data_seconds, 3)
            self.timings_["evaluate_measured"] = round(save_prep.evaluate_seconds, 3)
            self.timings_["score_call_measured"] = round(save_prep.score_call_seconds, 5)
            if save_prep.evaluate_plain_seconds is not None:
                self.timings_["evaluate_plain_measured"] = round(
                    save_prep.evaluate_plain_seconds, 3
                )
            if planner is not None:  # False: intervals only if the save finds time left
                self.timings_["intervals_reserved"] = planner.reserves_intervals
        self._budget_end = budget_end if reserve_save else None
        self._save_prep = save_prep
        return self

    def _families(
        self, run: AutoMLSettings, task: TaskType, n_rows: int, n_features: int
    ) -> list[str]:
        if run.algorithms:
            check_algorithms(run.algorithms, task.value)
            return list(run.algorithms)
        return families_for_budget(task, n_rows, n_features, run.time_budget)

    def _trial_timeout(self, budget: SearchBudget) -> float | None:
        if budget.trial_timeout is not None:
            return budget.trial_timeout
        if budget.time_budget is None:
            return None
        return max(10.0, 0.5 * budget.time_budget)

    def _store(self, **state: Any) -> None:
        result: SearchResult = state["result"]
        final: FinalModel = state["final"]
        encoded = state["encoded"]
        self.task_: TaskType = state["task"]
        self.metric_: str = state["metric"]
        self.target_: str = state["target"]
        self.profile_: DatasetProfile = state["profile"]
        self.settings_: PreprocessingSettings = state["settings"]
        self.feature_columns_: list[str] = list(state["X"].columns)
        self.classes_: np.ndarray = encoded.classes
        self.trials_: list[TrialRecord] = result.records
        self.search_: SearchResult = result
        self.final_: FinalModel = final
        self.model_: Any = final.model
        refit: Refit = state["refit"]
        self.refit_model_: Any = refit.model
        self.refit_note_: str = refit.note
        bag = final.best_single if final.best_single is not None else final.model
        self.best_model_: Any = refit.model if refit.model is not None else bag
        choice: SingleChoice = state["choice"]
        self.best_single_note_: str = choice.note
        self.predict_speeds_: dict[int, float] = dict(choice.rows_per_second)
        self.families_: list[str] = state["families"]
        self.stop_reason_: str = result.stop_reason
        self.n_dropped_missing_target_: int = state["n_dropped"]
        self.split_description_: str = state["split_text"]
        self.split_rule_: str = state["split_rule"]
        # what the synthetic rows were and did (None: none asked for); see _synthetic
        self.synthetic_: dict[str, Any] | None = state.get("synthetic")
        self._X = state["X"]
        self._y = encoded.y
        self._test_rows = state["test_rows"]
        self._fit_rows = state["fit_rows"]
        self._folds = state["folds"]
        self._valid_rows = state["valid_rows"]

    @property
    def split_rows_(self) -> dict[str, Any]:
        """How ``fit`` divided the labelled rows (rows with a target value, in input order).

        ``test`` and ``fit`` are positions among those rows; each fold's ``(train, valid)``
        are positions within the ``fit`` rows. ``n_rows`` counts the labelled rows.
        """
        self._check_fitted()
        return {
            "test": np.asarray(self._test_rows, dtype=np.int64),
            "fit": np.asarray(self._fit_rows, dtype=np.int64),
            "folds": [(np.asarray(t), np.asarray(v)) for t, v in self._folds],
            "n_rows": len(self._y),
        }

    # -- using the model -------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ConfigError("this AutoML is not fitted yet: call fit(df, target=...) first")

    def _features(self, df: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.feature_columns_ if c not in df.columns]
        if missing:
            raise ConfigError(f"missing input column(s): {', '.join(map(repr, missing))}")
        if len(df) == 0:
            raise ConfigError("the input frame has no rows")
        return df[self.feature_columns_]

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Predicted labels (original class labels) or values."""
        self._check_fitted()
        X = self._features(df)
        if self.task_.is_classification:
            return np.asarray(self.classes_[np.argmax(self.model_.predict_proba(X), axis=1)])
        return np.asarray(self.model_.predict(X), dtype=np.float64)

    def predict_proba(self, df: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class label."""
        self._check_fitted()
        if not self.task_.is_classification:
            raise ConfigError("predict_proba is only available for classification tasks")
        proba = self.model_.predict_proba(self._features(df))
        return pd.DataFrame(proba, columns=list(self.classes_), index=df.index)

    def leaderboard(self) -> pd.DataFrame:
        """Every trial, best first, with the final model's row on top."""
        self._check_fitted()
        return leaderboard_frame(self.trials_, self.final_, self.metric_, self.task_)

    def save(
        self, path: str | Path, *, data_dictionary: Mapping[str, Mapping[str, str]] | None = None
    ) -> Path:
        """Write the model bundle, leaderboard (CSV, JSON), the run report and the phase
        timings (``timings.json``) into ``path``. After ``fit(..., reserve_save=True)`` the
        report's optional parts are cut down to end within the time budget.

        ``data_dictionary`` (``{column: {"description", "meaning"}}``) goes into the
        bundle's manifest.
        """
        self._check_fitted()
        from tunelab.automl._save import save_run

        return save_run(
            self,
            Path(path),
            data_dictionary=data_dictionary,
            deadline=getattr(self, "_budget_end", None),
        )

    def evaluate(self, df: pd.DataFrame, target: str | None = None) -> dict[str, Any]:
        """All metrics of the task (with 95% bootstrap intervals) on a labelled table."""
        self._check_fitted()
        from tunelab.automl._save import evaluate_frame

        return evaluate_frame(self, df, target or self.target_)


def _prepare_save(
    X: pd.DataFrame,
    fit_rows: np.ndarray,
    profile: Any,
    task: TaskType,
    encoded: Any,
    data: TrialData,
    seed: int,
    metric: str,
) -> Any:
    """``prepare_save`` for this fit: data-only bundle parts, the measured scoring cost."""
    from tunelab.automl._save import ci_resamples
    from tunelab.automl._save_prep import prepare_save

    kinds = {c.name: c.kind for c in profile.columns if c.name in X.columns}
    y_scored = encoded.y[fit_rows][data.valid_rows]
    return prepare_save(
        X,
        fit_rows,
        kinds,
        task=task,
        y_scored=y_scored,
        n_classes=encoded.n_classes,
        seed=seed,
        n_resamples=ci_resamples(len(y_scored)),
        metric=metric,
    )
