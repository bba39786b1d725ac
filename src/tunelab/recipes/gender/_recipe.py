"""``run_gender_demo``: simulate, map, build features, train three models, compare, report."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from tunelab.entities import ConfigError
from tunelab.recipes.gender import _bayes as bayes
from tunelab.recipes.gender import _evaluate as ev
from tunelab.recipes.gender import _mapping as mapping
from tunelab.recipes.gender import _report as rep
from tunelab.recipes.gender._catalog import CATEGORIES, age_segment
from tunelab.recipes.gender._features import FEATURES, LABEL, build_features
from tunelab.recipes.gender._models import fit_with_params, lab_baseline, xy
from tunelab.recipes.gender._simulator import Simulation, simulate
from tunelab.recipes.gender._tuning import Tuner, best_parameters, prepare_experiment


class AutoMLFactory(Protocol):
    """Builds an object with ``fit(df, target=...)`` and ``predict_proba(df) -> DataFrame``
    (``tunelab.AutoML`` is one)."""

    def __call__(self, *, task: str, metric: str, time_budget: float, seed: int,
                 n_jobs: int) -> Any: ...  # fmt: skip


def _simulation_facts(sim: Simulation) -> dict[str, Any]:
    """The Monte Carlo figures of gender_lab.md §8, measured on this simulation."""
    s = sim.sessions
    true = bayes.true_counts(s)
    events_with_cat = true.sum()
    logged_users = sim.events.loc[sim.events["user_id"].notna(), "user_id"].nunique()
    n_pre = s["n_prelogin"].to_numpy()
    post = bayes.posterior_male(true)
    y = (s["gender"].to_numpy() == "M").astype(int)
    by_group = {}
    for g in ("M", "F"):
        for seg in ("young", "middle", "old"):
            mask = (s["gender"].to_numpy() == g) & np.array(
                [age_segment(int(a)) == seg for a in s["behaviour_age"]]
            )
            if mask.any():
                by_group[f"{g} {seg}"] = float(np.mean((post[mask] >= 0.5) == y[mask]))
    return {
        "events": len(sim.events),
        "users_simulated": sim.n_users,
        "users_registered": len(sim.users),
        "labelled_sessions": len(s),
        "login_share_of_users": logged_users / max(sim.n_users, 1),
        "prelogin_events_median": float(np.median(n_pre)),
        "prelogin_events_p5_p95": [
            float(np.percentile(n_pre, 5)),
            float(np.percentile(n_pre, 95)),
        ],
        "share_prelogin_events_with_category": float(events_with_cat / n_pre.sum()),
        "share_sessions_without_category": float(np.mean(true.sum(axis=1) == 0)),
        "prior_male": bayes.prior_male(),
        "bayes_accuracy_all_labelled_sessions": bayes.bayes_summary(post, y),
        "bayes_accuracy_by_group": by_group,
    }


def _write_data(out: Path, sim: Simulation) -> None:
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    sim.events.to_parquet(data / "events.parquet", index=False)
    sim.events.to_csv(data / "events.csv", index=False)
    sim.users.to_csv(data / "users.csv", index=False)
    sim.sessions.to_csv(data / "sessions_truth.csv", index=False)


def _model_entry(
    name: str, test: pd.DataFrame, proba: np.ndarray, pred: np.ndarray, post: np.ndarray,
    seed: int, n_boot: int,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:  # fmt: skip
    _, y = xy(test)
    s = ev.score(y, pred, proba, test["user_id"].to_numpy(), bayes_posterior=post,
                 n_boot=n_boot, seed=seed)  # fmt: skip
    by_age = ev.per_age_group(y, pred, test["behaviour_age"], post)
    by_db_age = ev.per_age_group(y, pred, test["db_age"])
    entry = {
        "name": name,
        "test_accuracy": s.values["accuracy"],
        "test_macro_f1": s.values["macro_f1"],
        "test_roc_auc": s.values["roc_auc"],
        "ci": {k: list(v) for k, v in s.ci.items()},
        "ratio_to_bayes": s.ratio_to_bayes,
        "ratio_to_bayes_ci": list(s.ratio_ci or (np.nan, np.nan)),
        "by_behaviour_age": by_age.to_dict(orient="records"),
        "by_db_age": by_db_age.to_dict(orient="records"),
    }
    return entry, by_age, by_db_age


def run_gender_demo(
    out_dir: Path,
    *,
    sessions: int = 20_000,
    seed: int = 0,
    min_prelogin_events: int = 2,
    test_size: float = 0.2,
    automl_budget: float = 60.0,
    tune_trials: int = 8,
    tune_algorithm: str = "random",
    automl_factory: AutoMLFactory | None = None,
    tuner: Tuner | None = None,
    n_jobs: int = 1,
    n_boot: int = 1000,
    log: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Runs the whole recipe into ``out_dir`` and returns the content of ``report.json``.

    AutoML and the Katib tuning run only when ``automl_factory`` / ``tuner`` are given (the CLI
    passes ``tunelab.AutoML`` and ``tunelab.katib``); otherwise the report says they were skipped.
    """
    if min_prelogin_events < 1:
        raise ConfigError(f"min_prelogin_events must be >= 1, got {min_prelogin_events}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures_dir = out / "figures"
    figures_dir.mkdir(exist_ok=True)
    log(f"simulating {sessions} labelled sessions (seed {seed})")
    sim = simulate(sessions, seed=seed)
    _write_data(out, sim)
    products = mapping.product_table()
    keywords = mapping.keyword_table(sim.events["search_keyword"])
    mapping.save_mappings(out / "mappings", products, keywords)
    log("building features")
    feats = build_features(sim.events, products, keywords,
                           min_prelogin_events=min_prelogin_events, users=sim.users)  # fmt: skip
    feats.to_csv(out / "features.csv", index=False)
    train, test = ev.split_by_user(feats, test_size=test_size, seed=seed)
    train.to_csv(out / "train_features.csv", index=False)
    truth = sim.sessions.set_index("session_id").loc[test["session_id"]]
    post = bayes.posterior_male(truth[[f"true::{c}" for c in CATEGORIES]].to_numpy(float))
    X_train, y_train = xy(train)
    X_test, y_test = xy(test)
    bayes_summary = bayes.bayes_summary(post, y_test)
    models: list[dict[str, Any]] = []
    figures: list[Path] = []
    notes: list[str] = []
    predictions: dict[str, np.ndarray] = {}

    def add(name: str, proba: np.ndarray, pred: np.ndarray) -> None:
        entry, by_age, _ = _model_entry(name, test, proba, pred, post, seed, n_boot)
        models.append(entry)
        predictions[name] = pred
        figures.extend(rep.confusion_figure(y_test, pred, f"{name}: confusion matrix",
                                            figures_dir / f"confusion_{name}"))  # fmt: skip
        figures.extend(rep.age_group_figure(by_age, f"{name}: by behaviour age group",
                                            figures_dir / f"age_groups_{name}"))  # fmt: skip

    log("fitting the lab's baseline")
    baseline = lab_baseline(seed).fit(X_train, y_train)
    p = baseline.predict_proba(X_test)[:, 1]
    add("baseline", p, (p >= 0.5).astype(int))

    if automl_factory is not None:
        log(f"running AutoML for {automl_budget:.0f} s")
        automl = automl_factory(task="binary", metric="accuracy", time_budget=automl_budget,
                                seed=seed, n_jobs=n_jobs)  # fmt: skip
        automl.fit(train[[*FEATURES, LABEL]], target=LABEL)
        proba_df = automl.predict_proba(X_test)
        p = proba_df["M"].to_numpy(dtype=float)
        add("automl", p, (p >= 0.5).astype(int))
        notes.append("AutoML searched on the training users only (its internal CV splits rows).")
    else:
        notes.append("AutoML was skipped: no AutoML factory was given.")

    if tuner is not None:
        log(f"tuning the lab's 13 parameters ({tune_trials} trials, {tune_algorithm})")
        tune_dir = out / "tuning"
        spec_path = prepare_experiment(tune_dir, out / "train_features.csv",
                                       max_trials=tune_trials, parallel=max(1, n_jobs),
                                       algorithm=tune_algorithm, seed=seed)  # fmt: skip
        result = tuner(spec_path, tune_dir / "work", tune_dir / "out", tune_dir)
        params, optimal = best_parameters(result)
        model = fit_with_params(train, params, seed=seed)
        p = model.predict_proba(X_test)[:, 1]
        add("tuned", p, model.predict(X_test))
        notes.append(f"Tuned parameters: {params.as_dict()} (threshold {model.threshold:.3f}).")
        notes.append(f"Best trial: {optimal.get('bestTrialName', '')}, "
                     f"metrics {optimal.get('observation', {}).get('metrics')}.")  # fmt: skip
    else:
        notes.append("Katib tuning was skipped: no tuner was given.")

    ceiling = bayes_summary["expected_accuracy"]
    figures.extend(rep.comparison_figure(models, ceiling, figures_dir / "comparison"))
    notes.append(
        "Age groups use the age that drove behaviour; the DB age in the event log is an "
        "independent second draw (the lab's registration bug), so the lab's per-age metrics "
        "are meaningless. Both are in report.json (by_behaviour_age, by_db_age)."
    )
    report: dict[str, Any] = {
        "bayes_optimal_accuracy": ceiling,
        "bayes_realised_accuracy": bayes_summary["realised_accuracy"],
        "models": models,
        "verdict": rep.verdict(models, ceiling),
        "target_ratio": rep.TARGET_RATIO,
        "settings": {
            "sessions": sessions,
            "seed": seed,
            "min_prelogin_events": min_prelogin_events,
            "test_size": test_size,
            "automl_budget": automl_budget,
            "tune_trials": tune_trials,
        },
        "data": {
            "feature_sessions": len(feats),
            "train_sessions": len(train),
            "test_sessions": len(test),
            "train_users": int(train["user_id"].nunique()),
            "test_users": int(test["user_id"].nunique()),
            "simulation": _simulation_facts(sim),
        },
        "notes": notes,
    }
    rep.write_reports(out, report, figures)
    log(rep.verdict(models, ceiling))
    return report
