"""The REST API speaks the typed settings model: OpenAPI schema, strict 422s, stored JSON,
and one list of allowed values for the model, the CLI and the Setup form."""

import re
from typing import Any, get_args

from fastapi.testclient import TestClient
from server_helpers import upload
from typer.testing import CliRunner

from tunelab.cli._app import build_app
from tunelab.entities import AutoMLSettings, Encoding, FeatureEngineering, Scaling
from tunelab.entities.settings import Ensemble, LogLevel, Sampler
from tunelab.server.ui.pages import _setup_form as setup_form

API = "/api/v1/experiments"


def _ref(schema: dict[str, Any]) -> str:
    """The component a (possibly optional) schema refers to."""
    for option in [schema, *schema.get("anyOf", [])]:
        if "$ref" in option:
            return str(option["$ref"]).rsplit("/", 1)[-1]
    return ""


def test_openapi_shows_the_settings_schema(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    parts = spec["components"]["schemas"]
    assert _ref(parts["ExperimentIn"]["properties"]["settings"]) == "AutoMLSettings"
    assert _ref(parts["ExperimentPatch"]["properties"]["settings"]) == "AutoMLSettingsPatch"
    out = next(name for name in parts if name.startswith("ExperimentOut"))
    assert _ref(parts[out]["properties"]["settings"]).startswith("AutoMLSettings")
    settings = parts["AutoMLSettings"]
    assert settings["additionalProperties"] is False
    assert set(settings["properties"]) == set(AutoMLSettings.model_fields)
    assert settings["properties"]["sampler"]["enum"] == list(get_args(Sampler))
    assert _ref(settings["properties"]["split"]) == "SplitSettings"
    patch = parts["AutoMLSettingsPatch"]
    assert set(patch["properties"]) == set(AutoMLSettings.model_fields)


def test_strict_values_are_refused_naming_the_field(client: TestClient) -> None:
    dataset_id = upload(client)
    cases = [
        (("settings", "time_budget"), {"time_budget": True}),
        (("settings", "max_trials"), {"max_trials": "5"}),
        (("settings", "algorithms"), {"algorithms": []}),
        (("settings", "time_budget"), {"time_budget": 8 * 24 * 3600}),
        (("settings", "split", "ratios"), {"split": {"kind": "holdout", "ratios": [0.9, 0.2, 0]}}),
    ]
    for loc, settings in cases:
        body = {"dataset_id": dataset_id, "target": "label", "settings": settings}
        answer = client.post(API, json=body)
        assert answer.status_code == 422, (settings, answer.text)
        detail = answer.json()["detail"][0]
        assert tuple(detail["loc"][1:]) == loc, detail
        assert not detail["msg"].startswith("Value error"), detail
    unknown = client.post(
        API, json={"dataset_id": dataset_id, "target": "label", "settings": {"samplr": "tpe"}}
    ).json()["detail"][0]
    assert unknown["msg"].startswith("unknown setting; known: algorithms")
    empty = client.post(
        API, json={"dataset_id": dataset_id, "target": "label", "settings": {"algorithms": []}}
    ).json()["detail"][0]
    assert "omit it for all families" in empty["msg"]


def test_stored_json_is_what_was_given_and_patch_null_resets(client: TestClient) -> None:
    dataset_id = upload(client)
    body = {
        "dataset_id": dataset_id,
        "target": "label",
        "settings": {"max_trials": 3, "sampler": "gp", "ensemble": False},
    }
    created = client.post(API, json=body)
    assert created.status_code == 201, created.text
    url = f"{API}/{created.json()['id']}"
    assert client.get(url).json()["settings"] == {
        "max_trials": 3,
        "sampler": "gp",
        "ensemble": "none",
        "test_ratio": 0.2,  # held back by default
    }
    patched = client.patch(url, json={"settings": {"sampler": None, "seed": 9}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["settings"] == {
        "max_trials": 3,
        "ensemble": "none",
        "seed": 9,
        "test_ratio": 0.2,
    }
    refused = client.patch(url, json={"settings": {"seed": 1.5}})
    assert (refused.status_code, refused.json()["detail"][0]["loc"]) == (
        422,
        ["body", "settings", "seed"],
    )


def _cli_choices(option: str) -> list[str]:
    """The choices ``tunelab automl --help`` lists for ``--option``."""
    result = CliRunner().invoke(build_app(), ["automl", "--help"], env={"COLUMNS": "200"})
    found = re.search(rf"--{option} <([^>]+)>", result.output)
    assert found is not None, result.output
    return found.group(1).split("|")


def test_allowed_values_come_from_the_model() -> None:
    """Model, CLI choices and Setup form: one list each (gp included everywhere)."""
    field = AutoMLSettings.model_fields
    for literal, name, form_list in (
        (Sampler, "sampler", setup_form.SAMPLERS),
        (Ensemble, "ensemble", setup_form.ENSEMBLES),
    ):
        allowed = list(get_args(literal))
        assert list(get_args(field[name].annotation)) == allowed
        assert _cli_choices(name) == allowed
        assert list(form_list) == allowed
    assert "gp" in setup_form.SAMPLERS
    assert list(setup_form.LOG_LEVELS) == list(get_args(LogLevel))
    assert _cli_choices("encoding") == [e.value for e in Encoding] == list(setup_form.ENCODINGS)
    assert _cli_choices("scaling") == [s.value for s in Scaling] == list(setup_form.SCALINGS)
    assert list(setup_form.FEATURE_STEPS) == [f.value for f in FeatureEngineering]
    from tunelab.search import SAMPLERS

    assert list(SAMPLERS) == list(get_args(Sampler))
