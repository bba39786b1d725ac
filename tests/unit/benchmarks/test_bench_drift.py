"""The drift benchmark script runs end to end on a small log (its figures are not checked)."""

import sys

import pytest
from benchmarks import drift


def test_drift_benchmark_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["drift.py", "--rows", "3000", "--columns", "5", "--reference", "500", "--repeats", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    drift.main()
    out = capsys.readouterr().out
    assert "rows 3000, columns 5, methods ['chisquare', 'ks']" in out
    assert "drift report: wall median" in out
