"""Every page in Korean shows no English words outside a small allowlist.

A store is seeded once with a finished experiment (a real short AutoML run), its EDA, the
best model with its evaluation, a deployment with a prediction, and a second experiment
still ready. Each page (and its HTMX parts) is rendered with ``?lang=ko``; the visible text
(tag text outside script/style/pre/code, plus the attributes a user sees: title, placeholder,
aria-label, alt, button values and the ``data-text-*`` strings the page scripts display) may
only hold English words that are data values (column names, class labels, names the user
gave), product or library names, or code names (metrics, algorithms).
"""

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tunelab.entities.platform import JobStatus
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app

# Names that stay as they are in Korean text: the product, libraries, file formats,
# protocols, units, and the usual abbreviations of methods (as Korean manuals write them).
PRODUCT_NAMES = {
    "tunelab",
    "onnx",
    "mlflow",
    "ray",  # the cluster engine (setup: executor, run: where trials run)
    "automl",
    "lightgbm",
    "xgboost",
    "catboost",
    "adaboost",
    "scikit",
    "sklearn",
    "shap",
    "plotly",
    "python",
    "curl",
    "rest",
    "api",
    "url",
    "http",
    "https",
    "json",
    "csv",
    "tsv",
    "txt",
    "xls",
    "xlsx",
    "parquet",
    "zip",
    "s3",
    "id",
    "en",
    "utc",
    "ms",
    "kb",
    "mb",
    "gb",
}
# Code names a page quotes: columns tunelab adds to the split CSVs, the bundle folder of the
# code snippet, explanation methods.
CODE_NAMES = {
    "_row",
    "_fold",
    "model_bundle",
    "tree_shap",
    "linear_shap",
    "ensemble_shap",
    "sampled_shapley",
    "lime",
}
ABBREVIATIONS = {
    "birch",  # clustering algorithms: names of their own (acronyms)
    "dbscan",
    "hdbscan",
    "roc",
    "auc",
    "pr",
    "f1",
    "r2",
    "cpu",
    "gpu",
    "mlp",
    "sgd",
    "svc",
    "svr",
    "tpe",
    "qmc",
    "cma",
    "es",
    "pca",
    "fastica",
    "nystroem",
    "boruta",
    "smote",
    "bic",  # Bayesian information criterion (clusters page)
    "ctgan",  # the synthesizer (setup: synthetic rows)
    "gan",
    "pytorch",
    "fwe",
    "iqr",
    "k",
    "z",
    "eda",
}
SKIP_TAGS = {"script", "style", "pre", "code", "svg", "template"}
CODE_CLASSES = {"mono"}  # an element with this class shows code (ids, class names, params)
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm"}
WORD = re.compile(r"_?[A-Za-z][A-Za-z0-9_]*")
SLOT = re.compile(r"\{[A-Za-z_]+\}")  # a format slot of a script's text: "{host}"


def dataset() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 160
    frame = pd.DataFrame(
        {
            "tenure": rng.integers(1, 72, n),
            "charges": rng.normal(60, 20, n).round(2),
            "plan": rng.choice(["basic", "premium"], n),
        }
    )
    signal = frame["tenure"] / 72 + (frame["plan"] == "premium") * 0.3
    frame["churn"] = np.where(signal + rng.normal(0, 0.3, n) > 0.7, "stay", "leave")
    return frame


class VisibleText(HTMLParser):
    """The text a user of the page reads (see the module docstring)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, is code)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            shown = name in SHOWN_ATTRIBUTES or name.startswith("data-text-")
            if tag == "input" and name == "value":
                shown = values.get("type") in ("submit", "button")
            if shown and value and name.startswith("data-text-"):
                value = SLOT.sub(" ", value)  # a script fills the slots: never shown as such
            if shown and value:
                self.parts.extend(_shown_strings(value))
        if tag in self.VOID:
            return
        classes = set((values.get("class") or "").split())
        self._open.append((tag, tag in SKIP_TAGS or bool(classes & CODE_CLASSES)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        if not any(code for _, code in self._open):
            self.parts.append(data)


def _shown_strings(value: str) -> list[str]:
    """An attribute's text; for a JSON map (label tables for scripts) only its values, and a
    Python dict dump (parameters in a tooltip) is code."""
    if value.startswith("{"):
        try:
            loaded = json.loads(value)
        except ValueError:
            return []
        return [str(v) for v in loaded.values()] if isinstance(loaded, dict) else []
    return [value]


def english_words(html: str, allowed: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return sorted({w for w in WORD.findall(text) if w.lower() not in allowed})


def _run_jobs(worker: Worker) -> None:
    while (job := worker.run_once()) is not None:
        assert job.status is JobStatus.SUCCEEDED, job.error


def _code_names() -> set[str]:
    from tunelab.evaluation import list_metrics
    from tunelab.models import list_model_specs

    names: set[str] = set()
    for task in ("binary", "multiclass", "regression"):
        names |= set(list_metrics(task))
        names |= {spec.name for spec in list_model_specs(task)}  # type: ignore[arg-type]
    return names


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("korean") / "home"
    frame = dataset()
    with TestClient(create_app(ServerSettings(home=home)), base_url="http://localhost") as client:
        state: Any = client.app.state  # type: ignore[attr-defined]
        worker = Worker(state.store, state.artifacts, default_handlers(), heartbeat_interval=0.1)
        files = {"file": ("customers.csv", frame.to_csv(index=False).encode())}
        dataset_id = client.post("/api/v1/datasets", files=files).json()["id"]
        _run_jobs(worker)
        body = {
            "dataset_id": dataset_id,
            "target": "churn",
            "name": "churn",
            "settings": {
                "max_trials": 2,
                "time_budget": 60,
                "algorithms": ["logistic_regression"],
            },
        }
        experiment_id = client.post("/api/v1/experiments", json=body).json()["id"]
        assert client.post(f"/api/v1/experiments/{experiment_id}/start").status_code < 300
        _run_jobs(worker)
        experiment = state.store.get_experiment(experiment_id)
        assert experiment.status == "finished", experiment.error
        model_id = experiment.best_model_id
        eda = client.post(f"/api/v1/datasets/{dataset_id}/eda", json={"target": "churn"})
        assert eda.status_code < 300, eda.text
        client.post(f"/models/{model_id}/evaluate")
        _run_jobs(worker)
        deployed = client.post("/api/v1/deployments", json={"model_id": model_id})
        assert deployed.status_code < 300, deployed.text
        deployment_id = deployed.json()["id"]
        record = frame.drop(columns="churn").iloc[0].to_dict()
        predicted = client.post(
            f"/api/v1/deployments/{deployment_id}/predict",
            json={"records": [record], "explain": True},
        )
        assert predicted.status_code == 200, predicted.text
        ready = {"dataset_id": dataset_id, "target": "churn", "name": "draft"}
        ready_id = client.post("/api/v1/experiments", json=ready).json()["id"]
        model = state.store.get_model(model_id)
        deployment = state.store.get_deployment(deployment_id)
        user_names = {"churn", "draft", "customers", model.name, deployment.name}
        data_values = set(frame.columns) | {str(v) for v in frame["plan"].unique()}
        data_values |= {str(v) for v in frame["churn"].unique()}
        allowed = {w.lower() for n in user_names | data_values for w in WORD.findall(str(n))}
        ids = {
            "experiment": experiment_id,
            "ready": ready_id,
            "dataset": dataset_id,
            "model": model_id,
            "deployment": deployment_id,
            "allowed": allowed
            | PRODUCT_NAMES
            | ABBREVIATIONS
            | CODE_NAMES
            | _code_names()
            | {"nope"},
        }
        yield client, ids


PAGES = [
    "/experiments",
    "/experiments/live",
    "/experiments/new",
    "/experiments/new/dataset/{dataset}",
    "/experiments/{experiment}/setup",
    "/experiments/{ready}/setup",
    "/experiments/{experiment}/columns",
    "/experiments/{experiment}/preview",
    "/experiments/{experiment}/eda",
    "/experiments/{experiment}/run",
    "/experiments/{ready}/run",
    "/experiments/{experiment}/run/leaderboard",
    "/experiments/{experiment}/run/summary",
    "/models/{model}",
    "/models/{model}/pipeline-view",
    "/models/{model}/evaluation-view",
    "/models/nope",  # the id asked for is shown: "nope" is allowed as data
    "/deployments",
    "/deployments?compare={deployment}",
    "/deployments/{deployment}",
    "/deployments/{deployment}/history",
]


@pytest.mark.parametrize("page", PAGES)
def test_korean_page_has_no_english_words(
    seeded: tuple[TestClient, dict[str, Any]], page: str
) -> None:
    client, ids = seeded
    url = page.format(**ids)
    response = client.get(url, params={"lang": "ko"})
    assert response.status_code in (200, 404), response.text
    words = english_words(response.text, ids["allowed"])
    assert not words, f"{url} in Korean shows English words: {words}"


def test_the_check_sees_english_text_and_shown_attributes() -> None:
    allowed = {"tunelab"}
    html = (
        "<p>모델 <b>Ready</b> tunelab</p><script>var English = 1;</script>"
        '<button title="Start now" data-x="hidden words">시작</button><code>log_loss</code>'
    )
    assert english_words(html, allowed) == ["Ready", "Start", "now"]


def _figure_words(figure: dict[str, Any], allowed: set[str]) -> list[str]:
    """English words in the text a chart shows (titles, axis/legend titles, names, notes)."""
    from chart_words import english, shown_texts

    found: set[str] = set()
    for text in shown_texts(figure).values():
        found |= set(english(text, allowed))
    return sorted(found)


def test_korean_charts_have_no_english_words(seeded: tuple[TestClient, dict[str, Any]]) -> None:
    """Every EDA and evaluation figure the pages draw, fetched as the page does, in Korean."""
    client, ids = seeded
    allowed = ids["allowed"] | {"auc", "ap", "ece"}
    base = f"/ui/figures/eda/{ids['dataset']}"
    manifest = client.get(f"/api/v1/datasets/{ids['dataset']}/eda").json()
    urls = [f"{base}/{plot}" for plot in manifest["plots"] if plot != "variable"]
    for column in manifest["columns"]:
        name = column["name"] if isinstance(column, dict) else column
        urls.append(f"{base}/variable?column={name}")
        if manifest["target"] and name != manifest["target"]:
            urls.append(f"{base}/variable?column={name}&against=true")
    assert manifest["target"] == "churn"
    plots = client.get(f"/api/v1/models/{ids['model']}/evaluation").json()["plots"]
    assert "roc" in plots
    urls += [f"/ui/figures/models/{ids['model']}/{plot}" for plot in plots]
    for url in urls:
        sep = "&" if "?" in url else "?"
        korean = client.get(f"{url}{sep}lang=ko")
        assert korean.status_code == 200, (url, korean.text)
        words = _figure_words(korean.json(), allowed)
        assert not words, f"{url} in Korean shows English words: {words}"
        english = client.get(f"{url}{sep}lang=en").json()
        assert english != korean.json() or not _figure_words(english, allowed), url
