"""The Clusters page of a clustering model: leaderboard, sizes, profiles, projection; EN+KO."""

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import tunelab
from tunelab.artifacts import ArtifactStore
from tunelab.tracking import MetadataStore

sys.path.insert(0, str(Path(__file__).parents[2] / "clustering"))
sys.path.insert(0, str(Path(__file__).parents[1]))
from cluster_frames import blobs
from deployment_bundles import register
from test_ui_korean_pages import ABBREVIATIONS, PRODUCT_NAMES, english_words


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = blobs(n_rows=120, centers=3).drop(columns=["truth"])
    engine = tunelab.ClusteringAutoML(
        n_clusters="auto", algorithms=["kmeans"], max_candidates=4, time_budget=20, seed=0
    ).fit(frame)
    return engine.save(tmp_path_factory.mktemp("clusters") / "bundle")


def test_the_page_shows_the_clustering(
    bundle: Path, client: TestClient, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    import json

    report = json.loads((bundle / "report" / "report.json").read_text(encoding="utf-8"))
    model_id = register(store, artifacts, bundle, "segments")
    html = client.get(f"/models/{model_id}/clusters").text
    for testid in ("clusters-head", "clusters-sizes", "clusters-projection", "clusters-profiles",
                   "clusters-leaderboard"):  # fmt: skip
        assert f'data-testid="{testid}"' in html, testid
    assert "Cluster sizes" in html
    assert "Calinski–Harabasz" in html
    assert html.count("<circle ") == len(report["projection"]["x"])
    for size in report["sizes"]:
        assert f"{size['rows']} (" in html
    assert f"Cluster {report['sizes'][0]['cluster']}" in html
    assert report["best"]["algorithm"] in html
    rows = html.split('data-testid="clusters-leaderboard"')[1].count("<tr")
    assert rows == min(20, len(report["leaderboard"])) + 1  # + the header
    # sample rows per cluster, as the report drew them (row = position in the table)
    samples = html.split('data-testid="clusters-samples"')[1].split("</section>")[0]
    assert samples.count('data-testid="cluster-samples"') == len(report["sizes"])
    drawn = sum(len(rows) for rows in report["samples"].values())
    assert drawn > 0
    assert samples.count('data-testid="cluster-sample-row"') == drawn
    first = next(iter(report["samples"].values()))[0]
    assert f'<td class="num">{first["row"]}</td>' in samples
    korean = client.get(f"/models/{model_id}/clusters?lang=ko").text
    assert "표본 행" in korean
    assert "군집 크기" in korean
    assert "군집 프로필" in korean
    # no English word shown but the user's own names (model, columns, category values)
    data = {"segments", "x1", "x2", "x", "3", "dark", "light", "mid", "pale", "deep", "soft"}
    assert english_words(korean, data | PRODUCT_NAMES | ABBREVIATIONS) == []
    model_page = client.get(f"/models/{model_id}").text
    assert f'/models/{model_id}/clusters"' in model_page


def test_a_supervised_model_has_no_clusters_page(client: TestClient, model_id: str) -> None:
    response = client.get(f"/models/{model_id}/clusters")
    assert response.status_code == 404
    assert 'data-testid="clusters-missing"' in response.text
    assert 'data-testid="model-clusters"' not in client.get(f"/models/{model_id}").text
    assert client.get("/models/nope/clusters").status_code == 404


def test_parallel_coordinates_by_cluster_with_a_legend(
    bundle: Path, client: TestClient, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    import json
    import re

    report = json.loads((bundle / "report" / "report.json").read_text(encoding="utf-8"))
    model_id = register(store, artifacts, bundle, "segments-parallel")
    for lang, axis, name in (("en", "Cluster", "Cluster 0"), ("ko", "군집", "군집 0")):
        html = client.get(f"/models/{model_id}/clusters?lang={lang}").text
        legend = html.split('data-testid="parallel-legend"')[1].split("</ul>")[0]
        sizes = report["sizes"]
        assert legend.count('data-testid="parallel-legend-item"') == len(sizes)
        assert name in legend
        for size in sizes:  # each cluster's colour is the one of the sizes chart
            assert f'data-cluster="{size["cluster"]}"' in legend
        found = re.search(
            r'<script type="application/json" id="cluster-parallel-figure">(.*?)</script>',
            html,
            re.S,
        )
        assert found is not None
        figure = json.loads(found.group(1))
        trace = figure["data"][0]
        assert trace["type"] == "parcoords"
        labels = [d["label"] for d in trace["dimensions"]]
        assert labels[:-1] == list(report["parallel"]["columns"])
        assert labels[-1] == axis  # the cluster axis, last, in the page's language
        n_clusters = len(sizes)
        codes = trace["line"]["color"]
        assert len(codes) == len(report["parallel"]["cluster"])
        assert set(codes) == set(range(n_clusters))
        colors = {step[1] for step in trace["line"]["colorscale"]}
        assert len(colors) == n_clusters
        assert trace["dimensions"][-1]["ticktext"][0] == name
    assert 'src="/ui/static/clusters.js"' in html
