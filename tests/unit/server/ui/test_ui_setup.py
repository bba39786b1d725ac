"""The Setup page: rendering every section, saving through the REST rules, errors in place."""

import re

from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore

FORM = {
    "target": "label",
    "time_budget": "30",
    "split_kind": "holdout",
    "train_pct": "60",
    "valid_pct": "20",
    "test_pct": "20",
    "folds": "5",
    "cv_test_pct": "0",
    "ensemble": "stacking",
    "log_level": "debug",
    "seed": "7",
    "n_jobs": "2",
    "cpu_per_trial": "1",
    "sampler": "random",
    "encoding": "onehot",
    "onehot_max_categories": "30",
    "scaling": "minmax",
    "variance_threshold": "0.01",
    "balance_to": "yes",
}


def _experiment(client: TestClient, worker: Worker, **body: object) -> str:
    dataset_id = upload(client)
    worker.run_once()  # parse + profile
    response = client.post("/api/v1/experiments", json={"dataset_id": dataset_id, **body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _post(client: TestClient, experiment_id: str, form: dict, **extra: object) -> object:
    return client.post(
        f"/experiments/{experiment_id}/setup",
        data={"version": "0", **form, **extra},
        follow_redirects=False,
    )


def test_page_shows_every_section(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker)
    html = client.get(f"/experiments/{experiment_id}/setup").text
    for testid in (
        "general-settings",
        "split-settings",
        "split-picture",
        "sampling-settings",
        "class-chart",
        "advanced",
        "save",
        "start",
        "field-target",
        "field-metric",
        "field-task",
        "field-algorithms",
        "field-feature_engineering",
        "field-trial_timeout",
        "field-memory_limit_mb",
        "field-cpu_per_trial",
    ):
        assert f'data-testid="{testid}"' in html, testid
    assert 'data-testid="tab-setup"' in html
    assert '<option value="label">label</option>' in html  # target choices from the profile
    assert 'data-tasks="binary multiclass "' in html or 'data-tasks="binary ' in html
    assert 'data-rows="60"' in html
    korean = client.get(f"/experiments/{experiment_id}/setup?lang=ko").text
    assert "고급 설정" in korean
    assert "데이터 분할" in korean


def test_save_maps_the_form_to_settings(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    response = _post(
        client,
        experiment_id,
        FORM,
        action="save",
        algorithms=["logistic_regression", "random_forest"],
        feature_engineering=["pca"],
        description="first try",
        smote="1",
        refit_final="0",
        min_rows_per_s="50,000",
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/setup?saved=1")
    experiment = store.get_experiment(experiment_id)
    s = experiment.settings
    assert experiment.target == "label"
    assert s["split"] == {"kind": "holdout", "ratios": [0.6, 0.2, 0.2]}
    assert (s["ensemble"], s["log_level"], s["seed"], s["n_jobs"]) == ("stacking", "debug", 7, 2)
    assert s["algorithms"] == ["logistic_regression", "random_forest"]
    assert s["preprocessing"] == {
        "encoding": "onehot",
        "scaling": "minmax",
        "variance_threshold": 0.01,
        "onehot_max_categories": 30,
        "feature_engineering": ["pca"],
    }
    assert s["sampling"] == {"ratio": None, "size": None, "balance_to": "yes", "smote": True}
    assert s["description"] == "first try"
    assert s["refit_final"] is False
    assert s["infer_limit"] == 1 / 50_000
    page = client.get(response.headers["location"]).text
    assert 'data-testid="message-success"' in page
    assert re.search(r'value="stacking" selected', page)  # the saved values come back
    assert re.search(r'value="0" selected', page)  # refit_final: keep the fold models
    assert re.search(r'name="min_rows_per_s"[^>]*\s+value="50000"', page)


def test_bad_values_come_back_next_to_their_fields(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    bad = {**FORM, "valid_pct": "30", "n_jobs": "0", "description": "keep me"}
    response = _post(client, experiment_id, bad, action="save")
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="error-split_ratios"' in html
    assert 'data-testid="error-n_jobs"' in html
    assert 'data-testid="message-error"' in html
    assert (
        'id="f-valid_pct" name="valid_pct" data-testid="field-valid_pct"\n         value="30"'
        in html
    )
    assert ">keep me</textarea>" in html  # the user's input is kept
    assert store.get_experiment(experiment_id).version == 1  # nothing saved


def test_start_without_target_stays_on_setup(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker)
    response = _post(
        client, experiment_id, {**FORM, "target": "", "balance_to": ""}, action="start"
    )
    assert response.status_code == 200
    assert 'data-testid="error-target"' in response.text
    assert "set a target first" in response.text


def test_start_queues_the_run_and_opens_the_run_page(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    response = _post(client, experiment_id, FORM, action="start", max_trials="2")
    assert response.status_code == 303
    assert response.headers["location"] == f"/experiments/{experiment_id}/run"
    experiment = store.get_experiment(experiment_id)
    assert experiment.status == "running"
    assert store.get_job(experiment.job_id or "").kind == "automl"
    locked = client.get(f"/experiments/{experiment_id}/setup").text
    assert 'data-testid="setup-locked"' in locked
    again = _post(client, experiment_id, FORM, action="save")
    assert 'data-testid="error-form"' in again.text  # 409: running


def test_stale_version_is_reported_with_input_kept(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker, target="label")
    store.update_experiment(experiment_id, name="changed elsewhere")
    response = client.post(
        f"/experiments/{experiment_id}/setup",
        data={**FORM, "version": "1", "seed": "99", "action": "save"},
    )
    assert response.status_code == 200
    assert 'data-testid="error-form"' in response.text
    assert 'value="99"' in response.text


def test_the_synthesizer_round_trips_in_both_languages(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    html = client.get(f"/experiments/{experiment_id}/setup").text
    assert 'data-testid="field-synthesizer"' in html
    assert "Gaussian copula" in html
    assert "가우시안 코퓰러" in client.get(f"/experiments/{experiment_id}/setup?lang=ko").text
    form = {**FORM, "balance_to": "", "sample_size": "500", "synthesizer": "none"}
    response = _post(client, experiment_id, form, action="save")
    assert response.status_code == 303
    sampling = store.get_experiment(experiment_id).settings["sampling"]
    assert (sampling["size"], sampling["synthesizer"]) == (500, "none")
    page = client.get(response.headers["location"]).text
    assert re.search(r'<option value="none" selected>', page)
    # the default (copula) stays implicit in the stored settings
    response = _post(client, experiment_id, {**form, "synthesizer": "copula"}, action="save")
    assert "synthesizer" not in store.get_experiment(experiment_id).settings["sampling"]
