"""The words Plotly draws inside the charts follow the page language (EDA and model pages)."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from e2e_api import ok, train_model, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Words of chart titles, axis titles and legend entries as the engine writes them in English.
ENGLISH_TITLE_WORDS = {
    "correlation",
    "matrix",
    "pearson",
    "pair",
    "plot",
    "count",
    "vs",
    "missing",
    "numeric",
    "categorical",
    "false",
    "true",
    "positive",
    "rate",
    "class",
    "chance",
    "predicted",
    "threshold",
    "score",
    "rows",
}


def _csv(n: int = 240) -> bytes:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "tier": rng.choice(["a", "b"], n)})
    frame.loc[::9, "x"] = np.nan
    frame["churn"] = np.where(
        frame["x"].fillna(0) + rng.normal(scale=0.6, size=n) > 0, "yes", "no"
    )
    return frame.to_csv(index=False).encode()


def _svg_text(locator: Any) -> str:
    """All text Plotly drew as SVG inside ``locator`` (titles, axes, legends, annotations)."""
    return " ".join(locator.locator("svg text").all_text_contents())


def _check_korean(text: str, where: str) -> None:
    assert HANGUL.search(text), f"{where}: no Korean in the chart text: {text!r}"
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    english = sorted(words & ENGLISH_TITLE_WORDS)
    assert not english, f"{where}: English chart words {english} in {text!r}"


def test_chart_text_is_korean_on_the_eda_and_model_pages(
    page: Any, shot: Callable[[str], Path]
) -> None:
    settings = {"max_trials": 2, "algorithms": ["logistic_regression"], "test_ratio": 0.25}
    model_id = train_model(
        page.request, _csv(), target="churn", name="charts ko", time_budget=20, settings=settings
    )
    model = ok(page.request.get(f"/api/v1/models/{model_id}"))
    experiment = ok(page.request.get(f"/api/v1/experiments/{model['experiment_id']}"))
    dataset_id = experiment["dataset_id"]
    eda = ok(page.request.post(f"/api/v1/datasets/{dataset_id}/eda", data={"target": "churn"}))
    evaluation = ok(page.request.post(f"/api/v1/models/{model_id}/evaluate"))
    for job in (eda["job_id"], evaluation["job_id"]):
        done = wait_for(
            page.request,
            f"/api/v1/jobs/{job}",
            lambda j: j["status"] in ("succeeded", "failed"),
            120,
        )
        assert done["status"] == "succeeded", done

    # ----- EDA in Korean: titles, axis titles, notes drawn by Plotly -------------------------
    page.goto(f"/experiments/{experiment['id']}/eda?lang=ko")
    correlation = page.get_by_test_id("plot-correlation")
    expect(correlation).to_have_attribute("data-rendered", "true", timeout=20_000)
    # one numeric column only: the note says why there is no matrix, in Korean
    expect(correlation.locator("svg text").first).to_be_attached()
    _check_korean(_svg_text(correlation), "correlation")
    page.get_by_test_id("variable-column").select_option("x")
    variable = page.locator("[data-testid='variable-plot'][data-column='x']")
    expect(variable).to_have_attribute("data-rendered", "true")
    _check_korean(_svg_text(variable), "distribution of x")
    expect(variable.locator("svg text").filter(has_text="개수")).to_have_count(1)
    page.get_by_test_id("variable-against").check()
    variable = page.locator("[data-testid='variable-plot'][data-column='x']")
    expect(variable).to_have_attribute("data-rendered", "true")
    _check_korean(_svg_text(variable), "x against churn")
    shot("eda-charts-ko")

    # ----- Model page in Korean: evaluation plots -------------------------------------------
    page.goto(f"/models/{model_id}?lang=ko")
    plot = page.get_by_test_id("model-plot")
    for name in ("roc", "confusion_matrix", "threshold", "calibration"):
        page.get_by_test_id(f"plot-tab-{name}").click()
        expect(plot).to_have_attribute("data-rendered", name, timeout=20_000)
        _check_korean(_svg_text(plot), f"model plot {name}")
    page.get_by_test_id("plot-tab-roc").click()
    expect(plot).to_have_attribute("data-rendered", "roc")
    expect(plot.locator("svg text").filter(has_text="양성 클래스")).to_have_count(1)
    # Plotly's own mode bar speaks Korean too
    expect(plot.locator(".modebar-btn[data-title='축 초기화']")).to_have_count(1)
    shot("model-charts-ko")

    # ----- and back in English, the same stored figures read in English -------------------
    page.goto(f"/models/{model_id}?lang=en")
    plot = page.get_by_test_id("model-plot")
    expect(plot).to_have_attribute("data-rendered", "roc", timeout=20_000)
    assert "False positive rate" in _svg_text(plot)
