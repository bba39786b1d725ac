"""The deployment comparison names what each score measures and shows no placeholders."""

from tunelab.server.deployments.service import _comparable_metrics, validation_score

ENSEMBLE = {
    "metric": "roc_auc",
    "validation": "5-fold stratified CV, test 20%",
    "run": 2,
    "best": {
        "name": "ensemble",
        "trial": -1,
        "rank": 1,
        "score": 0.91,
        "score_std": 0.02,
        "fit_time": 0.0,
        "predict_time": 0.0,
    },
    "test": {"roc_auc": {"value": 0.88}},
}


def test_the_score_carries_its_metric_and_validation_scheme() -> None:
    assert validation_score(ENSEMBLE) == {
        "value": 0.91,
        "std": 0.02,
        "metric": "roc_auc",
        "validation": "5-fold stratified CV, test 20%",
    }
    assert validation_score({"metric": "rmse"}) is None


def test_ids_ranks_and_placeholder_timings_are_not_compared() -> None:
    assert _comparable_metrics(ENSEMBLE) == {"test.roc_auc": 0.88}
    trial = {**ENSEMBLE, "trial": 4, "best": {**ENSEMBLE["best"], "fit_time": 1.5}}
    assert _comparable_metrics(trial) == {"test.roc_auc": 0.88, "best.fit_time": 1.5}
