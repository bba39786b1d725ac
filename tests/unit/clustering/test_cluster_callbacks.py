"""ClusterSearch reports every candidate to its callbacks and stops when asked (the
platform's job turns these into trial rows and its Stop button)."""

from typing import Any

from cluster_frames import blobs

from tunelab.automl import ClusteringAutoML
from tunelab.clustering import ClusterSearch


class Recorder:
    def __init__(self, stop_after: int | None = None, engine: Any = None) -> None:
        self.events: list[tuple[str, int, str]] = []
        self.stop_after = stop_after
        self.engine = engine

    def on_candidate_start(self, candidate: Any) -> None:
        self.events.append(("start", candidate.number, candidate.status))

    def on_candidate_end(self, candidate: Any) -> None:
        self.events.append(("end", candidate.number, candidate.status))
        ended = sum(kind == "end" for kind, _, _ in self.events)
        if self.stop_after is not None and ended >= self.stop_after:
            self.engine.stop()


def test_every_candidate_is_reported_before_and_after_its_fit() -> None:
    recorder = Recorder()
    search = ClusterSearch(
        3, algorithms=["kmeans", "birch"], max_candidates=5, time_budget=20, callbacks=[recorder]
    ).fit(blobs(n_rows=60, centers=3).drop(columns=["truth"]))
    numbers = [c.number for c in search.candidates_]
    assert [e[:2] for e in recorder.events] == [
        (kind, n) for n in numbers for kind in ("start", "end")
    ]
    assert all(status == "pending" for kind, _, status in recorder.events if kind == "start")
    ends = {n: status for kind, n, status in recorder.events if kind == "end"}
    assert ends == {c.number: c.status for c in search.candidates_}


def test_stop_ends_the_search_and_keeps_the_best_so_far() -> None:
    frame = blobs(n_rows=60, centers=3).drop(columns=["truth"])
    engine = ClusteringAutoML("auto", algorithms=["kmeans"], time_budget=60, seed=0)
    engine.callbacks = [Recorder(stop_after=2, engine=engine)]
    engine.fit(frame)
    assert engine.search_.stop_reason_ == "stopped"
    assert len(engine.search_.candidates_) == 2
    assert engine.n_clusters_ >= 2
    assert len(engine.predict(frame)) == len(frame)
