"""Labels built from data: model families, metrics, samples, the split sentence."""

import numpy as np
import pytest

from tunelab.entities import SplitConfig, SplitKind
from tunelab.evaluation import make_splits
from tunelab.server.ui.choices import algorithm_choices
from tunelab.server.ui.i18n import catalog
from tunelab.server.ui.labels import (
    family_label,
    metric_label,
    parse_description,
    sample_text,
    split_facts,
    split_sentence,
)


def test_every_model_family_has_a_korean_label() -> None:
    for choice in algorithm_choices():
        assert f"labels.family_{choice['name']}" in catalog("ko"), choice["name"]
        assert family_label("en", choice["name"]) == choice["label"]  # the registry's label
    assert family_label("ko", "logistic_regression") == "로지스틱 회귀"
    assert family_label("ko", "made_up", "Made up") == "Made up"  # fallback: English
    assert family_label("ko", "ensemble") == "ensemble"


def test_metric_keeps_its_code_name() -> None:
    assert metric_label("ko", "log_loss") == "로그 손실 (log_loss)"
    assert metric_label("en", "log_loss") == "log_loss"
    assert metric_label("ko", "custom_metric") == "custom_metric"
    assert metric_label("ko", None) == ""


def test_sample_text_translates_known_samples_only() -> None:
    sample = {"name": "credit-g", "title": "German credit risk", "description": "Classify..."}
    assert sample_text("ko", sample)["title"] == "독일 신용 위험"
    assert sample_text("en", sample)["title"] == "German credit risk"
    other = {"name": "new-one", "title": "New one", "description": "Some data"}
    assert sample_text("ko", other)["title"] == "New one"


def _summary(kind: str, description: str, **parts: int) -> dict[str, object]:
    return {
        "kind": kind,
        "description": description,
        "n_folds": 5 if kind == "cv" else 1,
        "parts": {name: {"rows": rows} for name, rows in parts.items()},
    }


def test_split_sentence_from_structured_fields() -> None:
    cv = split_facts(_summary("cv", "5-fold CV, test 20 rows, stratified", train=80, test=20))
    assert split_sentence("ko", cv) == "5겹 교차 검증, 테스트 20행, 클래스 비율 유지(층화)"
    assert split_sentence("en", cv) == "5-fold cross-validation, test 20 rows, stratified by class"
    holdout = split_facts(_summary("holdout", "holdout", train=60, valid=20, test=20))
    assert split_sentence("ko", holdout) == "홀드아웃: 학습 60행, 검증 20행, 테스트 20행"
    group = split_facts(
        _summary("cv", "", train=100), {"split": {"kind": "group", "column": "shop"}}
    )
    assert split_sentence("ko", group) == "shop 기준 그룹 5겹 교차 검증, 별도 테스트 없음"
    assert split_sentence("ko", None, "as saved") == "as saved"


CONFIGS = [
    SplitConfig(kind=SplitKind.CV, folds=3, test_ratio=0.2),
    SplitConfig(kind=SplitKind.REPEATED_CV, folds=3, repeats=2, test_ratio=0.2),
    SplitConfig(kind=SplitKind.HOLDOUT, ratios=(0.6, 0.2, 0.2)),
    SplitConfig(kind=SplitKind.GROUP, folds=3, column="g", test_ratio=0.2),
    SplitConfig(kind=SplitKind.TIME, folds=3, test_ratio=0.2),
    SplitConfig(kind=SplitKind.HOLDOUT, column="g", column_ranges=((0, 6), (6, 8), (8, 10))),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: str(c.kind) + str(c.column_ranges))
def test_every_engine_description_reads_as_korean(config: SplitConfig) -> None:
    """A bundle without its run's summary: the engine's sentence is read, never shown as is
    (fails when the engine's wording changes)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    y = np.array(["a", "b"] * 50)
    frame = pd.DataFrame({"g": np.repeat(np.arange(10), 10), "x": rng.normal(size=100)})
    description = make_splits(y, config, frame=frame, seed=0).description
    facts = parse_description(description)
    assert facts is not None, description
    korean = split_sentence("ko", facts, fallback="UNREAD")
    assert korean != "UNREAD"
    assert not any(word in korean for word in ("fold", "rows", "test", "holdout")), korean
