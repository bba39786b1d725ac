"""Issue 16 item 9 with credentials, in a real browser: a user imports a table from a real
S3-compatible server (moto on loopback) by giving key, secret and endpoint in the form, trains
on it, and exports the model back to the bucket the same way. The credentials travel with the
one request; nothing is stored. Korean page for the import, English for the export."""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from e2e_api import ok, run_to_end
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "artifacts"))
from moto_s3 import moto_server, s3_options

pytestmark = pytest.mark.e2e

BUCKET = "e2e-lab"
SECRET = "e2e-secret-not-kept-7f3a9c"  # moto takes any; distinctive, to look for it on disk


@pytest.fixture(scope="module")
def bucket(object_store_endpoint: str) -> Iterator[str]:
    """A bucket on a real moto server at the endpoint the e2e server accepts, holding a CSV."""
    import fsspec

    rng = np.random.default_rng(3)
    n = 160
    frame = pd.DataFrame({"tenure": rng.integers(1, 60, n), "plan": rng.choice(["a", "b"], n)})
    frame["churn"] = np.where(frame["tenure"] + rng.normal(scale=8, size=n) < 25, "yes", "no")
    port = urlsplit(object_store_endpoint).port
    with moto_server(port) as endpoint:
        fs = fsspec.filesystem("s3", **_options(endpoint))
        fs.mkdir(BUCKET)
        with fs.open(f"{BUCKET}/in/churn.csv", "wb") as out:
            out.write(frame.to_csv(index=False).encode())
        yield endpoint


def _options(endpoint: str) -> dict[str, Any]:
    return {**s3_options(endpoint), "secret": SECRET}


def _fill_credentials(page: Any, prefix: str, endpoint: str) -> None:
    page.get_by_test_id(f"{prefix}-credentials").locator("summary").click()
    page.get_by_test_id(f"{prefix}-key").fill(_options(endpoint)["key"])
    page.get_by_test_id(f"{prefix}-secret").fill(SECRET)
    page.get_by_test_id(f"{prefix}-endpoint").fill(endpoint)


def test_import_and_export_with_credentials_given_in_the_form(
    page: Any, bucket: str, server_home: Path, shot: Callable[[str], Path]
) -> None:
    import fsspec

    page.goto("/experiments/new?lang=ko")
    credentials = page.get_by_test_id("s3-credentials").locator("summary")
    expect(credentials).to_have_text("자격 증명(선택)")
    page.get_by_test_id("s3-url").fill(f"s3://{BUCKET}/in/churn.csv")
    _fill_credentials(page, "s3", bucket)
    shot("import-credentials-ko")
    page.get_by_test_id("s3-import").click()
    expect(page.get_by_test_id("create-form")).to_be_visible(timeout=60_000)
    summary = page.get_by_test_id("dataset-summary")
    expect(summary).to_contain_text("160")  # the rows read from the bucket
    dataset_id = summary.get_attribute("data-dataset-id")

    body = {
        "dataset_id": dataset_id,
        "target": "churn",
        "name": "from s3",
        "time_budget": 10,
        "settings": {"max_trials": 2, "algorithms": ["logistic_regression"]},
    }
    experiment = ok(page.request.post("/api/v1/experiments", data=body, timeout=180_000))
    done = run_to_end(page.request, experiment["id"])

    page.goto(f"/models/{done['best_model_id']}?lang=en")
    target = f"s3://{BUCKET}/models/from-s3"
    page.get_by_test_id("export-url").fill(target)
    _fill_credentials(page, "export", bucket)
    page.get_by_test_id("export-submit").click()
    expect(page.get_by_test_id("export-ok")).to_contain_text(target, timeout=60_000)
    shot("export-with-credentials")
    fs = fsspec.filesystem("s3", **_options(bucket))
    assert fs.exists(f"{BUCKET}/models/from-s3/manifest.json")
    # the secret went with the two requests only: no file of the server's home holds it
    files = [path for path in server_home.parent.rglob("*") if path.is_file()]
    assert [path for path in files if SECRET.encode() in path.read_bytes()] == []
