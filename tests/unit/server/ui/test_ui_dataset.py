"""The Columns, Preview and EDA pages of an experiment (server-rendered HTML)."""

import re

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker
from tunelab.server.ui.pages.dataset_pages import SPARK_H, sparkline
from tunelab.tracking import MetadataStore


def _csv(n: int = 40) -> str:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "row": np.arange(1, n + 1),
            "amount": np.exp(rng.normal(5, 1.5, n)).round(2),
            "color": rng.choice(["red", "blue"], n),
            "label": rng.choice(["yes", "no"], n),
        }
    )
    return frame.to_csv(index=False)


def _experiment(client: TestClient, worker: Worker | None, text: str | None = None) -> str:
    dataset_id = upload(client, text or _csv())
    if worker is not None:
        worker.run_once()  # parse + profile
    store: MetadataStore = client.app.state.store  # type: ignore[attr-defined]
    return store.create_experiment(dataset_id=dataset_id, target="label", name="churn").id


def _dataset_id(client: TestClient, experiment_id: str) -> str:
    return str(client.app.state.store.get_experiment(experiment_id).dataset_id)  # type: ignore[attr-defined]


def _selected(html: str, testid: str) -> str:
    select = html[html.index(f'data-testid="{testid}"') :]
    select = select[: select.index("</select>")]
    found = re.search(r'<option value="([^"]+)" selected', select)
    assert found, select
    return found.group(1)


def test_sparkline_scales_bars_to_the_box() -> None:
    bars = sparkline([1, 4, 0, 2])
    assert len(bars) == 4
    assert bars[1][3] == SPARK_H
    assert bars[1][1] == 0
    assert bars[2][3] == 0
    assert sparkline([]) == []
    assert sparkline([0, 0]) == []


def test_columns_page_lists_settings_and_sparklines(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker)
    html = client.get(f"/experiments/{experiment_id}/columns").text
    for name in ("row", "amount", "color", "label"):
        assert f'data-testid="column-row-{name}"' in html
    assert 'data-testid="spark-amount"' in html
    assert "<rect" in html
    assert _selected(html, "kind-color") == "categorical"
    assert _selected(html, "imputation-amount") == "none"
    row = html[html.index('data-testid="column-row-label"') :]
    assert "badge-target" in row[: row.index("</tr>")]
    assert f'href="/api/v1/datasets/{_dataset_id(client, experiment_id)}/file"' in html
    assert 'class="tab active" aria-current="page">Columns<' in html


def test_columns_page_waits_for_the_profile(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, None)
    html = client.get(f"/experiments/{experiment_id}/columns").text
    assert 'data-testid="profiling"' in html
    assert "columns-table" not in html
    status = client.get(f"/experiments/{experiment_id}/profile-status")
    assert "HX-Refresh" not in status.headers
    worker.run_once()
    status = client.get(f"/experiments/{experiment_id}/profile-status")
    assert status.headers["HX-Refresh"] == "true"


def _form(html: str) -> dict[str, str]:
    """The current values of the columns form, as the browser would submit them."""
    fields = dict(
        re.findall(
            r'<select name="([a-z_]+__\d+)"[^>]*>.*?<option value="([^"]+)" selected', html, re.S
        )
    )
    for name in re.findall(r'<input type="checkbox" name="(use__\d+)"[^>]*checked', html):
        fields[name] = "on"
    return fields


def test_save_keeps_input_and_marks_the_refused_field(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    url = f"/experiments/{experiment_id}/columns"
    form = _form(client.get(url).text)
    assert form["kind__2"] == "categorical"
    form.update({"transformation__1": "log", "imputation__2": "mean"})  # mean: not for categories
    form.pop("use__0")  # untick "row"
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    html = refused.text
    assert 'data-testid="column-error-color"' in html
    assert "imputation &#39;mean&#39; is not available" in html
    assert _selected(html, "transformation-amount") == "log"  # the user's input is kept
    assert not re.search(r'name="use__0"[^>]*checked', html)
    assert store.get_dataset(_dataset_id(client, experiment_id)).column_settings == {}

    form["imputation__2"] = "most_frequent"
    saved = client.post(url, data=form, follow_redirects=False)
    assert saved.status_code == 303
    settings = store.get_dataset(_dataset_id(client, experiment_id)).column_settings
    assert settings["amount"]["transformation"] == "log"
    assert settings["row"]["use"] is False
    assert settings["color"]["imputation"] == "most_frequent"
    page = client.get(saved.headers["location"]).text
    assert 'data-testid="message-success"' in page
    assert _selected(page, "transformation-amount") == "log"


def test_recommend_proposes_then_applies_and_undoes(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    dataset_id = _dataset_id(client, experiment_id)
    url = f"/experiments/{experiment_id}/columns"
    form = _form(client.get(url).text)
    form.update({"transformation__1": "sqrt", "description__1": "order amount in euros"})
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    manual = store.get_dataset(dataset_id).column_settings
    assert manual["amount"]["transformation"] == "sqrt"

    # Recommend: a proposal only, the manual setting is untouched
    response = client.post(f"{url}/recommend")
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="proposal-row-amount-transformation"' in html
    assert 'data-testid="proposal-row-label-use"' in html  # the target is never a feature
    assert store.get_dataset(dataset_id).column_settings == manual
    changes = re.search(r'name="changes" value="([^"]+)"', html)
    assert changes is not None
    apply = {"changes": changes.group(1).replace("&#34;", '"').replace("&quot;", '"')}
    applied = client.post(f"{url}/recommend/apply", data=apply, follow_redirects=False)
    assert applied.status_code == 303
    settings = store.get_dataset(dataset_id).column_settings
    assert settings["label"]["use"] is False
    assert settings["row"]["use"] is False  # id-like
    assert settings["amount"]["transformation"] != "sqrt"
    assert settings["amount"]["description"] == "order amount in euros"  # kept
    page = client.get(applied.headers["location"]).text
    assert "Recommended settings applied" in page
    assert 'data-testid="columns-undo"' in page

    # Undo: exactly what the recommendation changed comes back
    undone = client.post(f"{url}/undo", follow_redirects=False)
    assert undone.status_code == 303
    assert store.get_dataset(dataset_id).column_settings == manual
    assert 'data-testid="columns-undo"' not in client.get(undone.headers["location"]).text
    assert client.post(f"{url}/undo").status_code == 409  # nothing left to undo


def test_korean_proposal(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker)
    html = client.post(f"/experiments/{experiment_id}/columns/recommend?lang=ko").text
    assert "추천 변경 사항" in html
    assert "데이터 사전" in html


def test_data_dictionary_by_form_and_rest(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    dataset_id = _dataset_id(client, experiment_id)
    url = f"/experiments/{experiment_id}/columns"
    form = _form(client.get(url).text)
    form.update({"description__2": "  paint colour ", "meaning__3": "yes = churned"})
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    api = f"/api/v1/datasets/{dataset_id}"
    assert client.get(f"{api}/dictionary").json() == {
        "color": {"description": "paint colour"},
        "label": {"meaning": "yes = churned"},
    }
    patched = client.patch(f"{api}/column-settings", json={"color": {"description": ""}})
    assert "description" not in patched.json()["color"]  # emptied: removed
    too_long = client.patch(f"{api}/column-settings", json={"row": {"meaning": "x" * 2001}})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "row", "meaning"]
    assert 'value="yes = churned"' in client.get(url).text


def test_leakage_shown_before_the_run_and_unticked_on_confirmation(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    rng = np.random.default_rng(3)
    n = 120
    label = rng.choice(["yes", "no"], n)
    frame = pd.DataFrame(
        {
            "tenure": rng.integers(1, 60, n),
            "refund_issued": np.where(label == "yes", "Y", "N"),  # known after the outcome
            "label": label,
        }
    )
    experiment_id = _experiment(client, worker, frame.to_csv(index=False))
    dataset_id = _dataset_id(client, experiment_id)
    for page in ("columns", "setup"):
        html = client.get(f"/experiments/{experiment_id}/{page}").text
        assert f"/experiments/{experiment_id}/leakage?next={page}" in html
    fragment = client.get(f"/experiments/{experiment_id}/leakage?next=setup").text
    assert 'data-testid="leakage-refund_issued"' in fragment
    assert 'data-testid="leakage-tenure"' not in fragment
    assert store.get_dataset(dataset_id).column_settings == {}  # nothing changed unasked
    api = client.get(f"/api/v1/datasets/{dataset_id}/leakage", params={"target": "label"})
    assert [c["column"] for c in api.json()["columns"]] == ["refund_issued"]

    done = client.post(
        f"/experiments/{experiment_id}/leakage/exclude?next=setup",
        data={"columns": ["refund_issued"]},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/experiments/{experiment_id}/setup?excluded=1"
    assert store.get_dataset(dataset_id).column_settings["refund_issued"]["use"] is False
    ko = client.get(f"/experiments/{experiment_id}/leakage?next=columns&lang=ko").text
    assert "이미 사용 안 함" in ko


def test_preview_page_shows_head_tail_and_count(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker, _csv(40))
    html = client.get(f"/experiments/{experiment_id}/preview").text
    assert html.count('data-testid="preview-head-row"') == 5
    assert html.count('data-testid="preview-tail-row"') == 5
    assert 'data-testid="preview-rows"' in html
    assert ">40<" in html
    assert "30 rows not shown" in html
    tail = html[html.index('data-testid="preview-tail-row"') :]
    assert tail.startswith('data-testid="preview-tail-row"><td class="num muted">36<')
    small = _experiment(client, worker, _csv(7))
    html = client.get(f"/experiments/{small}/preview").text
    assert html.count('data-testid="preview-head-row"') == 5
    assert html.count('data-testid="preview-tail-row"') == 2  # rows 6 and 7, none twice


def test_eda_page_queues_the_job_and_shows_the_plots(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker)
    url = f"/experiments/{experiment_id}/eda"
    assert 'data-testid="eda-empty"' in client.get(url).text
    html = client.post(url).text  # redirected back to the page
    assert 'data-testid="eda-progress"' in html
    assert 'data-testid="eda-compute"' in html
    assert "disabled" in html
    assert "HX-Refresh" not in client.get(f"{url}/status").headers
    job = worker.run_once()
    assert job is not None
    assert (job.kind, job.status) == ("eda", "succeeded"), job.error
    assert client.get(f"{url}/status").headers["HX-Refresh"] == "true"
    html = client.get(url).text
    for plot in (
        "correlation",
        "pairplot",
        "variable",
        "parallel_coordinates",
        "parallel_categories",
    ):
        assert f'data-testid="plot-{plot}"' in html
    assert "against the target label" in html
    assert '<option value="amount">amount</option>' in html
    korean = client.get(url, params={"lang": "ko"}).text
    assert "평행 좌표" in korean
    assert "상관 행렬" in korean


def test_unknown_experiment_is_404(client: TestClient) -> None:
    for page in ("columns", "preview", "eda"):
        assert client.get(f"/experiments/nope/{page}").status_code == 404
