"""End to end over HTTP with real processes: upload, AutoML, deploy, predict."""

from pathlib import Path

import pytest
from platform_helpers import Server, make_csv

from tunelab.entities.platform import ConflictError, NotFoundError


@pytest.mark.slow
def test_upload_train_deploy_predict(serve: Server, tmp_path: Path) -> None:
    client = serve()
    assert client.health()["status"] == "ok"
    dataset_id = client.upload_dataset(make_csv(tmp_path / "train.csv"))
    jobs = client._call("GET", "/jobs")["items"]
    client.wait_job(jobs[0]["id"], timeout=120)
    assert client.get_dataset(dataset_id)["n_rows"] == 240

    experiment_id = client.create_experiment(
        dataset_id,
        "label",
        time_budget=30,
        max_trials=3,
        algorithms=["logistic_regression", "lightgbm"],
    )
    client.start_experiment(experiment_id)
    with pytest.raises(ConflictError, match="is running"):
        client.start_experiment(experiment_id)
    finished = client.wait_experiment(experiment_id, timeout=300)
    assert finished["status"] == "finished", finished["error"]
    assert (finished["task"], finished["metric"]) == ("binary", "roc_auc")
    board = client.leaderboard(experiment_id)
    assert len(board) == 3
    assert all(t["status"] == "ok" for t in board)
    scores = [t["score"] for t in board]
    assert scores == sorted(scores, reverse=True)

    events = list(client.events(finished["job_id"]))
    kinds = [e["kind"] for e in events]
    assert kinds.count("trial_end") == 3
    assert kinds[-1] == "succeeded"

    deployment_id = client.deploy(finished["best_model_id"])
    out = client.predict(deployment_id, [{"x": 2.0, "color": "red"}, {"x": -2.0, "color": "blue"}])
    assert out["predictions"] == ["yes", "no"]
    assert out["probabilities"][0]["yes"] > 0.5
    with pytest.raises(NotFoundError):
        client.predict("nope", [{"x": 1.0, "color": "red"}])


@pytest.mark.slow
def test_stop_keeps_the_best_model_so_far(serve: Server, tmp_path: Path) -> None:
    client = serve()
    dataset_id = client.upload_dataset(make_csv(tmp_path / "train.csv"))
    experiment_id = client.create_experiment(dataset_id, "label", time_budget=600)
    job_id = client.start_experiment(experiment_id)["job_id"]
    first = next(client.events(job_id, kinds=["trial_end"]))
    assert first["data"]["experiment_id"] == experiment_id
    client.stop_experiment(experiment_id)
    stopped = client.wait_experiment(experiment_id, timeout=120, poll=0.2)
    assert stopped["status"] == "stopped"
    assert stopped["best_model_id"] is not None
    assert client.wait_job(job_id, timeout=60)["status"] == "cancelled"
    assert len(client.leaderboard(experiment_id)) >= 1
    deployment_id = client.deploy(stopped["best_model_id"])
    assert client.predict(deployment_id, [{"x": 2.5, "color": "red"}])["predictions"] == ["yes"]
