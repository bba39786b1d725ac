"""Hostile and oversized files: clear errors naming the limit, and bounded memory.

Memory is measured in a fresh subprocess as the growth of its peak RSS (``VmHWM``, reset
through ``/proc/self/clear_refs`` after the imports) during the call, so the libraries' own
footprint does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tunelab.data import default_limits, profile_file, read_table, set_default_limits
from tunelab.entities import ConfigError, DataError, DataLimits

MB = 1024 * 1024

_MEASURE = """
import gc, json, re, sys
import pandas, pyarrow.parquet, openpyxl
from tunelab.data import profile_dataset, profile_file, read_table

def peak_kb():
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))

gc.collect()
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before = peak_kb()
result = {}
try:
    profile = %s
    result["n_rows"] = profile.n_rows
    result["sampled_rows"] = profile.sampled_rows
except Exception as exc:
    result["error"] = f"{type(exc).__name__}: {exc}"
after = peak_kb()
result["growth_mb"] = (after - before) / 1024
print(json.dumps(result))
"""


def measure(call: str) -> dict:
    """Run ``call`` (an expression using the imports above) in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE % call], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def zip_bomb_xlsx(path: Path, inflated: int = 256 * MB) -> Path:
    """A tiny .xlsx whose worksheet inflates to ``inflated`` bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"<row><c><v>1</v></c></row>" * 40_000
            for _ in range(inflated // len(block)):
                member.write(block)
    return path


def test_zip_bomb_xlsx_refused_before_opening(tmp_path: Path) -> None:
    bomb = zip_bomb_xlsx(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 2 * MB
    result = measure(f"read_table({str(bomb)!r})")
    assert result["error"].startswith("DataError")
    assert "xl/worksheets/sheet1.xml" in result["error"]
    assert "max_ratio=100" in result["error"]
    assert "TUNELAB_DATA_LIMITS" in result["error"]
    assert result["growth_mb"] < 40, result


def test_xlsx_declared_size_over_max_bytes_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": range(2000), "b": ["x" * 20] * 2000})
    path = tmp_path / "t.xlsx"
    frame.to_excel(path, index=False)
    assert len(read_table(path)) == 2000
    with zipfile.ZipFile(path) as archive:
        declared = sum(i.file_size for i in archive.infolist())
    limit = (path.stat().st_size + declared) // 2  # the file fits, its contents do not
    assert path.stat().st_size < limit < declared
    with pytest.raises(DataError, match=rf"inflates to bytes: .*max_bytes={limit:,}"):
        read_table(path, limits=DataLimits(max_bytes=limit))


def test_twenty_thousand_column_csv_refused_quickly_and_small(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(20_000))
    row = ",".join("1" for _ in range(20_000))
    path.write_text(header + "\n" + "\n".join([row] * 50) + "\n")
    for call in (f"read_table({str(path)!r})", f"profile_file({str(path)!r})"):
        result = measure(call)
        assert result["error"].startswith("DataError"), result
        assert "columns: 20,000, over the limit max_columns=2,000" in result["error"]
        assert result["growth_mb"] < 150, result
    wide = read_table(path, limits=DataLimits(max_columns=20_000))
    assert wide.shape == (50, 20_000)


def test_cells_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "1,2\n" * 100)
    with pytest.raises(DataError, match=r"cells: .* max_cells=50"):
        read_table(path, limits=DataLimits(max_cells=50))
    with pytest.raises(DataError, match=r"max_cells=50"):
        profile_file(path, limits=DataLimits(max_cells=50))
    assert read_table(path).shape == (100, 2)


def test_parquet_checked_from_its_metadata(tmp_path: Path) -> None:
    path = tmp_path / "wide.parquet"
    pd.DataFrame(np.zeros((3, 2500)), columns=[f"c{i}" for i in range(2500)]).to_parquet(path)
    with pytest.raises(DataError, match=r"columns: 2,500, over the limit max_columns=2,000"):
        read_table(path)
    assert read_table(path, limits=DataLimits(max_columns=3000)).shape == (3, 2500)
    long = tmp_path / "long.parquet"
    pd.DataFrame({"a": np.arange(1000)}).to_parquet(long)
    with pytest.raises(DataError, match="max_cells=999"):
        read_table(long, limits=DataLimits(max_cells=999))


def test_oversized_file_refused_after_reading_only_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a\n" + "1\n" * 5000)
    with pytest.raises(DataError, match=r"max_bytes=1,000"):
        read_table(path, limits=DataLimits(max_bytes=1000))


def test_default_limits_can_be_replaced() -> None:
    original = default_limits()
    try:
        set_default_limits(DataLimits.from_mapping({"max_columns": 5}))
        assert default_limits().max_columns == 5
    finally:
        set_default_limits(original)
    with pytest.raises(ConfigError, match="unknown data limit 'max_colums'"):
        DataLimits.from_mapping({"max_colums": 5})
    with pytest.raises(ConfigError, match="max_cells must be a positive integer"):
        DataLimits(max_cells=0)


def test_server_setting_overrides_the_limits(tmp_path: Path) -> None:
    from tunelab.server.config import ServerSettings, apply_data_limits

    original = default_limits()
    try:
        apply_data_limits(ServerSettings(home=tmp_path, data_limits={"max_columns": 3}))
        path = tmp_path / "t.csv"
        path.write_text("a,b,c,d\n1,2,3,4\n")
        with pytest.raises(DataError, match="max_columns=3"):
            read_table(path)
    finally:
        set_default_limits(original)


def _big_csv(path: Path, n_rows: int) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n_rows).round(4),
            "n": rng.integers(0, 1000, n_rows),
            "city": rng.choice(["seoul", "busan", "daegu", "incheon"], n_rows),
            "note": rng.choice(["alpha beta", "gamma", "delta epsilon zeta"], n_rows),
            "y": rng.integers(0, 2, n_rows),
        }
    )
    frame.loc[::11, "x"] = np.nan
    frame.to_csv(path, index=False)
    return path


def test_big_csv_profiles_in_bounded_memory(tmp_path: Path) -> None:
    path = _big_csv(tmp_path / "big.csv", 1_200_000)
    size_mb = path.stat().st_size / MB
    assert size_mb > 30
    streamed = measure(f"profile_file({str(path)!r}, target='y')")
    assert streamed.get("error") is None, streamed
    assert streamed["n_rows"] == 1_200_000
    assert streamed["sampled_rows"] == default_limits().profile_sample_rows
    # the whole-table path, for comparison: it holds the text, the frame and its copies
    whole = measure(f"profile_dataset(read_table({str(path)!r}), target='y')")
    assert whole["n_rows"] == 1_200_000
    assert streamed["growth_mb"] < 3 * size_mb, (streamed, size_mb)
    assert streamed["growth_mb"] < whole["growth_mb"] / 2, (streamed, whole)


def test_chunked_profile_keeps_exact_counts(tmp_path: Path) -> None:
    path = _big_csv(tmp_path / "t.csv", 30_000)
    exact = profile_file(path, target="y")
    assert exact.sampled_rows is None
    sampled = profile_file(path, target="y", limits=DataLimits(profile_sample_rows=4000))
    assert (sampled.n_rows, sampled.sampled_rows) == (30_000, 4000)
    assert sampled.class_counts == exact.class_counts
    for got, want in zip(sampled.columns, exact.columns, strict=True):
        assert (got.name, got.kind, got.n_missing) == (want.name, want.kind, want.n_missing)
        if want.mean is not None:
            assert got.mean == pytest.approx(want.mean)
            assert got.std == pytest.approx(want.std)
            assert (got.min, got.max) == (want.min, want.max)
