"""The Setup page's executor section in a real browser, in English and Korean: the Ray
clusters offered are only those the server was started with; on a server without one,
choosing Ray is refused next to the field; CPUs, memory and GPUs per trial are saved."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from e2e_api import RAY_CLUSTERS as CLUSTERS
from e2e_api import ok
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _experiment(request: Any, name: str) -> str:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=60).round(3)})
    frame["y"] = np.where(frame["x"] > 0, "yes", "no")
    upload = {"file": {"name": "t.csv", "mimeType": "text/csv", "buffer": frame.to_csv().encode()}}
    dataset = ok(request.post("/api/v1/datasets", multipart=upload))
    body = {"dataset_id": dataset["id"], "target": "y", "name": name}
    return str(ok(request.post("/api/v1/experiments", data=body, timeout=60_000))["id"])


def _open_executor(page: Any) -> Any:
    page.get_by_test_id("advanced").locator("summary").click()
    section = page.get_by_test_id("executor-settings")
    expect(section).to_be_visible()
    return section


def test_without_a_cluster_ray_is_refused_and_resources_are_saved(
    page: Any, shot: Callable[[str], Path]
) -> None:
    experiment_id = _experiment(page.request, "executor-local")
    page.goto(f"/experiments/{experiment_id}/setup?lang=en")
    section = _open_executor(page)
    expect(section).to_contain_text("Where trials run")
    expect(page.get_by_test_id("field-ray_address")).to_be_disabled()
    expect(page.get_by_test_id("field-ray_address")).to_contain_text("No Ray cluster configured")

    page.get_by_test_id("field-executor_kind").select_option("ray")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("error-executor_kind")).to_contain_text(
        "no Ray cluster is configured"
    )
    expect(page.get_by_test_id("executor-settings")).to_be_visible()  # opened at the error
    shot("ray-refused")

    page.get_by_test_id("field-executor_kind").select_option("local")
    page.get_by_test_id("field-cpu_per_trial").fill("2")
    page.get_by_test_id("field-memory_limit_mb").fill("1024")
    page.get_by_test_id("field-gpu_per_trial").fill("0")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("message-success")).to_be_visible()
    settings = ok(page.request.get(f"/api/v1/experiments/{experiment_id}"))["settings"]
    assert settings["executor"] == {"kind": "local", "address": None} or settings["executor"] == {
        "kind": "local"
    }
    assert (settings["cpu_per_trial"], settings["memory_limit_mb"]) == (2, 1024)

    page.goto(f"/experiments/{experiment_id}/setup?lang=ko")
    section = _open_executor(page)
    expect(section).to_contain_text("시도 실행 위치")
    expect(page.get_by_test_id("field-executor_kind")).to_have_value("local")
    expect(page.get_by_test_id("field-ray_address")).to_contain_text(
        "설정된 Ray 클러스터가 없습니다"
    )
    expect(page.get_by_test_id("field-cpu_per_trial")).to_have_value("2")
    shot("local-ko")


def test_only_the_servers_clusters_are_offered(ray_page: Any) -> None:
    page = ray_page
    experiment_id = _experiment(page.request, "executor-ray")
    page.goto(f"/experiments/{experiment_id}/setup?lang=en")
    _open_executor(page)
    address = page.get_by_test_id("field-ray_address")
    options = address.locator("option")
    expect(options).to_have_text([f"Default ({CLUSTERS[0]})", *CLUSTERS])
    expect(address).to_be_disabled()  # the cluster list is for the Ray kind only
    page.get_by_test_id("field-executor_kind").select_option("ray")
    expect(address).to_be_enabled()
    address.select_option(CLUSTERS[1])
    page.get_by_test_id("field-gpu_per_trial").fill("0.5")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("message-success")).to_be_visible()
    settings = ok(page.request.get(f"/api/v1/experiments/{experiment_id}"))["settings"]
    assert settings["executor"] == {"kind": "ray", "address": CLUSTERS[1]}
    assert settings["gpu_per_trial"] == 0.5

    page.goto(f"/experiments/{experiment_id}/setup?lang=ko")
    _open_executor(page)
    expect(page.get_by_test_id("field-ray_address")).to_have_value(CLUSTERS[1])
    expect(page.get_by_test_id("field-ray_address").locator("option").first).to_have_text(
        f"기본값 ({CLUSTERS[0]})"
    )
    default = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    folder = Path(os.environ.get("TUNELAB_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "executor-ray-ko.png"), full_page=True)
