"""The Model page: pipeline, hyperparameters, metrics with intervals, the evaluation section
through its states (missing -> queued -> ready with plot tabs), in English and Korean."""

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tunelab.entities.platform import JobStatus
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "size": rng.choice(["s", "m"], n)})
    frame["label"] = np.where(frame["x"] + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
    return frame


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real AutoML bundle (with its report), made once for the module."""
    from tunelab import AutoML

    automl = AutoML(
        max_trials=2, time_budget=60, algorithms=["logistic_regression"], test_ratio=0.25
    )
    automl.fit(_frame(), target="label")
    return Path(automl.save(tmp_path_factory.mktemp("automl") / "bundle"))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(ServerSettings(home=tmp_path / "home")), base_url="http://localhost"
    ) as client:
        yield client


def _model(client: TestClient, bundle_dir: Path) -> str:
    state: Any = client.app.state  # type: ignore[attr-defined]
    prefix = f"models/{uuid.uuid4().hex}"
    state.artifacts.put_dir(prefix, bundle_dir)
    return str(state.store.add_model(name="ensemble", uri=prefix, task="binary").id)


def _run_jobs(client: TestClient) -> None:
    state: Any = client.app.state  # type: ignore[attr-defined]
    worker = Worker(state.store, state.artifacts, default_handlers(), heartbeat_interval=0.1)
    while (job := worker.run_once()) is not None:
        assert job.status is JobStatus.SUCCEEDED, job.error


def test_page_shows_pipeline_metrics_and_actions(app: TestClient, bundle_dir: Path) -> None:
    model_id = _model(app, bundle_dir)
    page = app.get(f"/models/{model_id}")
    assert page.status_code == 200
    html = page.text
    for testid in (
        "model-deploy",
        "model-download",
        "export-url",
        "export-submit",
        "evaluate-compute",
        "snippet-python",
        "metrics-table",
    ):
        assert f'data-testid="{testid}"' in html
    assert f"/api/v1/models/{model_id}/bundle.zip" in html
    assert "tunelab.load_bundle" in html
    # before an evaluation: the metrics saved in the bundle, test with an interval
    assert re.search(r'data-metric="roc_auc"[\s\S]*?class="ci muted small">\[', html)
    # the pipeline loads lazily (the bundle is read once), then comes from the cache
    assert 'data-testid="pipeline-loading"' in html
    fragment = app.get(f"/models/{model_id}/pipeline-view").text
    assert "LogisticRegression" in fragment
    assert 'data-testid="hyperparameters"' in fragment
    assert "StandardScaler" in fragment  # per-column steps of the linear member
    again = app.get(f"/models/{model_id}").text
    assert 'data-testid="pipeline-loading"' not in again
    assert 'data-testid="pipeline-diagram"' in again


def test_compute_evaluation_shows_progress_then_plot_tabs(
    app: TestClient, bundle_dir: Path
) -> None:
    model_id = _model(app, bundle_dir)
    queued = app.post(f"/models/{model_id}/evaluate")
    assert queued.status_code == 200
    assert 'data-status="queued"' in queued.text
    assert 'data-testid="evaluate-progress"' in queued.text
    assert 'hx-trigger="every 1s"' in queued.text  # the section polls itself
    _run_jobs(app)
    ready = app.get(f"/models/{model_id}/evaluation-view").text
    assert 'data-status="ready"' in ready
    assert "every 1s" not in ready
    for plot in ("roc", "pr", "confusion_matrix", "threshold", "calibration", "lift", "gain"):
        assert f'data-testid="plot-tab-{plot}"' in ready
    assert 'data-testid="plot-tab-importance"' in ready
    # no split rows without an experiment: every part comes from the saved report
    assert "saved with the model" in ready  # train and test
    assert "out-of-fold predictions" in ready  # valid


def test_failed_evaluation_is_shown_in_the_page(app: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "bare"
    shutil.copytree(_bare_bundle(tmp_path), folder)
    model_id = _model(app, folder)  # no report and no experiment: nothing to evaluate on
    app.post(f"/models/{model_id}/evaluate")
    state: Any = app.app.state  # type: ignore[attr-defined]
    worker = Worker(state.store, state.artifacts, default_handlers(), heartbeat_interval=0.1)
    while worker.run_once() is not None:
        pass
    section = app.get(f"/models/{model_id}/evaluation-view").text
    assert 'data-testid="evaluate-failed"' in section
    assert "no saved report" in section
    assert 'data-testid="evaluate-compute"' in section  # the user can try again


def _bare_bundle(tmp_path: Path) -> Path:
    from sklearn.linear_model import LogisticRegression

    from tunelab.bundles import save_bundle

    frame = _frame(60)
    X = frame[["x"]]
    model = LogisticRegression().fit(X, (frame["label"] == "yes").astype(int))
    return save_bundle(
        tmp_path / "plain",
        model,
        task="binary",
        target="label",
        classes=["no", "yes"],
        feature_columns=["x"],
        input_schema=X,
    )


def test_korean_page_and_unknown_model(app: TestClient, bundle_dir: Path) -> None:
    model_id = _model(app, bundle_dir)
    korean = app.get(f"/models/{model_id}", params={"lang": "ko"}).text
    assert "평가 계산" in korean
    assert "S3로 내보내기" in korean
    assert "번들 다운로드" in korean
    assert "Compute evaluation" not in korean
    missing = app.get("/models/does-not-exist")
    assert missing.status_code == 404
    assert 'data-testid="model-missing"' in missing.text
