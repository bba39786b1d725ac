"""The words inside the Plotly figures follow the page language (``ui/chart_text.py``).

Every figure the EDA builders and the evaluation job can make is built here from synthetic
data; its words must be named by translation keys that exist in both languages (EDA) or be
matched by the chart texts (evaluation), and the Korean version must show no English word
except data values and the usual abbreviations.
"""

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly
import pytest
from chart_words import WORD, english, shown_texts

from tunelab.entities.columns import ColumnKind
from tunelab.jobs import _eda_figures as figs
from tunelab.jobs._evaluate_figures import build_figures
from tunelab.server.ui import chart_text
from tunelab.server.ui.i18n import catalog

ABBREVIATIONS = {"auc", "ap", "ece", "f1", "id"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    data = pd.DataFrame(
        {
            "age": rng.normal(40, 9, n).round(1),
            "income": rng.normal(5, 2, n).round(2),
            "count": rng.integers(0, 5, n).astype(float),  # a column named like a chart word
            "city": rng.choice([f"c{i}" for i in range(20)], n),  # > MAX_LEVELS: "(other)"
            "plan": rng.choice(["basic", "pro"], n),
            "member": rng.choice([0.0, 1.0], n),
            "code": [f"u{i}" for i in range(n)],
            "joined": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D"),
            "churn": rng.choice(["yes", "no"], n),
            "spend": rng.normal(100, 20, n).round(2),
        }
    )
    data.loc[::7, "age"] = np.nan
    data.loc[::11, "plan"] = None
    return data


KINDS = {
    "age": ColumnKind.NUMERIC,
    "income": ColumnKind.NUMERIC,
    "count": ColumnKind.NUMERIC,
    "city": ColumnKind.CATEGORICAL,
    "plan": ColumnKind.CATEGORICAL,
    "member": ColumnKind.BOOLEAN,
    "code": ColumnKind.ID,
    "joined": ColumnKind.DATETIME,
    "churn": ColumnKind.CATEGORICAL,
    "spend": ColumnKind.NUMERIC,
}
DATA_WORDS = (
    {w.lower() for name in KINDS for w in WORD.findall(name)}
    | {
        "basic",
        "pro",
        "yes",
        "no",
    }
    | {f"c{i}" for i in range(20)}
)


def eda_figures() -> dict[str, dict[str, Any]]:
    """Every kind of EDA figure: whole-table plots, notes, per-column plots both ways."""
    df = frame()
    out: dict[str, dict[str, Any]] = {}
    for target, task in (("churn", "binary"), ("spend", "regression")):
        classification = task == "binary"
        color, labels = figs.target_codes(df[target], classification)
        numeric = figs.numeric_columns(KINDS, target)
        out[f"correlation-{task}"] = figs.correlation(df, numeric)
        out[f"pairplot-{task}"] = figs.pairplot(df, numeric, color, labels)
        out[f"parcoords-{task}"] = figs.parallel_coordinates(
            df.dropna(subset=numeric), numeric, target, [], labels
        )
        cats = figs.category_columns(df, KINDS, target)
        out[f"parcats-{task}"] = figs.parallel_categories(df, cats, target, classification)
        for col, kind in KINDS.items():
            out[f"distribution-{col}"] = figs.distribution(df, col, kind)
            if col != target:
                out[f"against-{col}-{task}"] = figs.against_target(
                    df, col, kind, target, classification
                )
    out["correlation-empty"] = figs.correlation(df, ["age"])
    out["pairplot-empty"] = figs.pairplot(df, [], [], [])
    out["parcoords-empty"] = figs.parallel_coordinates(df, [], None, [], [])
    out["parcats-empty"] = figs.parallel_categories(df, [], None, False)
    empty = df.assign(age=np.nan)
    out["distribution-novalues"] = figs.distribution(empty, "age", ColumnKind.NUMERIC)
    return out


def _curve(n: int = 5) -> dict[str, Any]:
    grid = np.linspace(0, 1, n).tolist()
    return {"fpr": grid, "tpr": grid, "recall": grid, "precision": grid}


def evaluation_figures() -> dict[str, dict[str, Any]]:
    binary = {
        "roc": {"binary": {**_curve(), "auc": 0.8}},
        "pr": {"binary": {**_curve(), "average_precision": 0.7}},
        "confusion_matrix": {
            "labels": ["no", "yes"],
            "matrix": [[5, 1], [2, 4]],
            "normalized": [[0.8, 0.2], [0.3, 0.7]],
        },
        "threshold": {
            "thresholds": [0.1, 0.5],
            "precision": [0.5, 0.7],
            "recall": [0.9, 0.6],
            "f1": [0.6, 0.65],
            "best_threshold": 0.5,
            "best_f1": 0.65,
        },
        "calibration": {
            "kind": "positive_class",
            "ece": 0.05,
            "bins": [{"mean_predicted": 0.2, "fraction_positive": 0.25, "count": 12}],
        },
        "lift_gain": {"percent": [10, 100], "lift": [2.0, 1.0], "gain": [0.2, 1.0]},
    }
    multiclass = {
        "roc": {"per_class": {"basic": {**_curve(), "auc": 0.7}}},
        "calibration": {
            "kind": "top_label",
            "ece": 0.1,
            "bins": [{"mean_predicted": 0.5, "fraction_positive": 0.4, "count": 3}],
        },
    }
    regression = {
        "prediction_error": {"actual": [1.0, 2.0], "predicted": [1.1, 1.9]},
        "residuals": {"predicted": [1.1, 1.9], "residual": [-0.1, 0.1]},
        "residual_histogram": {"edges": [-0.2, 0.0, 0.2], "counts": [1, 1]},
    }
    importance = [("age", 0.1, 0.01), ("plan", 0.05, 0.02)]
    out = {f"binary-{k}": v for k, v in build_figures("binary", binary, importance).items()}
    out |= {f"multi-{k}": v for k, v in build_figures("multiclass", multiclass, None).items()}
    out |= {f"reg-{k}": v for k, v in build_figures("regression", regression, None).items()}
    return out


def _slots(figure: dict[str, Any]) -> list[dict[str, Any]]:
    slots = figure["layout"].get("meta", {}).get(chart_text.META)
    assert isinstance(slots, list), "an EDA figure names its words in layout.meta"
    return slots


def _at(figure: Any, path: str) -> Any:
    for step in path.split("."):
        figure = figure[int(step)] if isinstance(figure, list) else figure[step]
    return figure


EDA = eda_figures()
EVALUATION = evaluation_figures()


@pytest.mark.parametrize("name", sorted(EDA))
def test_eda_figure_words_are_named_by_keys_in_both_languages(name: str) -> None:
    fig = EDA[name]
    en, ko = catalog("en"), catalog("ko")
    for slot in _slots(fig):
        keys = [slot["key"]] if "key" in slot else list(slot["replace"].values())
        keys += [v["key"] for v in (slot.get("args") or {}).values() if isinstance(v, dict)]
        for key in keys:
            assert key in en, f"{name}: {key} missing in locales/en"
            assert key in ko, f"{name}: {key} missing in locales/ko"
            assert HANGUL.search(ko[key]) or key in ("charts.term_kind_id",), key
        if "key" in slot:  # the stored English is exactly the English catalog text
            args = {
                k: en[v["key"]] if isinstance(v, dict) else v
                for k, v in (slot.get("args") or {}).items()
            }
            assert _at(fig, slot["path"]) == chart_text.fill(en[slot["key"]], args), slot


@pytest.mark.parametrize("name", sorted(EDA))
def test_eda_figure_in_korean_shows_no_english_words(name: str) -> None:
    stored = EDA[name]
    before = json.dumps(stored, sort_keys=True)
    korean = chart_text.localise_figure(copy.deepcopy(stored), "ko")
    assert json.dumps(stored, sort_keys=True) == before
    texts = shown_texts(korean)
    for path, text in texts.items():
        words = english(text, DATA_WORDS | ABBREVIATIONS)
        assert not words, f"{name} {path} = {text!r} still shows {words}"
    assert chart_text.localise_figure(copy.deepcopy(stored), "en") == stored


def test_every_chart_word_of_the_eda_figures_is_covered() -> None:
    """Each word-bearing text of an EDA figure is a slot or data (no slot forgotten)."""
    for name, fig in EDA.items():
        covered = {s["path"] for s in _slots(fig)}
        for path, text in shown_texts(fig).items():
            if path in covered or path.rsplit(".", 1)[0] in covered:
                continue
            words = english(text, DATA_WORDS | ABBREVIATIONS)
            assert not words, f"{name}: {path} = {text!r} is not named by a key"


def test_data_values_that_look_like_chart_words_stay_as_they_are() -> None:
    korean = chart_text.localise_figure(copy.deepcopy(EDA["distribution-count"]), "ko")
    assert korean["layout"]["xaxis"]["title"]["text"] == "count"  # the column's name
    assert korean["layout"]["yaxis"]["title"]["text"] == "개수"  # the axis word
    assert korean["layout"]["title"]["text"] == "count (수치형) 분포"


def test_pooled_levels_are_translated_inside_data() -> None:
    korean = chart_text.localise_figure(copy.deepcopy(EDA["distribution-plan"]), "ko")
    assert "(결측)" in korean["data"][0]["x"]
    assert "(missing)" not in korean["data"][0]["x"]
    assert "basic" in korean["data"][0]["x"]
    parcats = chart_text.localise_figure(copy.deepcopy(EDA["parcats-binary"]), "ko")
    values = {v for dim in parcats["data"][0]["dimensions"] for v in dim["values"]}
    assert "(기타)" in values
    assert "(other)" not in values


def test_eda_figures_stored_without_keys_are_translated_by_pattern() -> None:
    old = copy.deepcopy(EDA["distribution-age"])
    del old["layout"]["meta"]
    korean = chart_text.localise_figure(old, "ko")
    missing = int(frame()["age"].isna().sum())
    assert korean["layout"]["title"]["text"] == f"age (수치형) 분포 — 결측 {missing}개"
    assert korean["layout"]["yaxis"]["title"]["text"] == "개수"
    old = copy.deepcopy(EDA["against-plan-binary"])
    del old["layout"]["meta"]
    assert chart_text.localise_figure(old, "ko")["layout"]["title"]["text"] == (
        "타깃 churn에 따른 plan"
    )


def test_a_pattern_with_a_kind_needs_a_known_kind() -> None:
    assert chart_text.translate_text("ko", "12<br>(5%)") == "12<br>(5%)"
    assert chart_text.translate_text("ko", "price (usd)") == "price (usd)"
    assert chart_text.translate_text("ko", "price (text)") == "price (텍스트) 분포"


@pytest.mark.parametrize("name", sorted(EVALUATION))
def test_evaluation_figure_in_korean_shows_no_english_words(name: str) -> None:
    korean = chart_text.localise_figure(copy.deepcopy(EVALUATION[name]), "ko")
    data_words = DATA_WORDS | {"age", "plan"}
    for path, text in shown_texts(korean).items():
        if path.startswith("data.0.text") and "confusion" in name:
            continue  # "5<br>(80%)": numbers only
        words = english(text, data_words | ABBREVIATIONS)
        assert not words, f"{name} {path} = {text!r} still shows {words}"


def test_evaluation_curves_keep_class_names_and_scores() -> None:
    roc = chart_text.localise_figure(copy.deepcopy(EVALUATION["binary-roc"]), "ko")
    assert roc["data"][0]["name"] == "양성 클래스 (AUC 0.800)"
    multi = chart_text.localise_figure(copy.deepcopy(EVALUATION["multi-roc"]), "ko")
    assert multi["data"][0]["name"] == "basic (AUC 0.700)"
    threshold = chart_text.localise_figure(copy.deepcopy(EVALUATION["binary-threshold"]), "ko")
    assert threshold["layout"]["annotations"][0]["text"] == "최고 F1 0.650 (임계값 0.50)"


def test_plotly_words_are_plotlys_own_strings() -> None:
    """The Plotly locale only helps if its English keys are the strings Plotly.js uses."""
    source = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    words = chart_text.plotly_dictionary("ko")
    assert words
    assert chart_text.plotly_dictionary("en") == {}
    for english_text, korean in words.items():
        escaped = english_text.replace("±", "\\xB1").replace("σ", "\\u03C3")
        assert f'"{english_text}"' in source or f'"{escaped}"' in source, english_text
        assert HANGUL.search(korean), english_text
