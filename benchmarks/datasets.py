"""The benchmark's datasets: task and target read from the shared datasets README table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared/datasets beside the checkout; a worktree one level deeper finds ../../shared
DATASETS_DIR = next(
    (
        folder / "shared" / "datasets"
        for folder in (REPO_ROOT.parent, REPO_ROOT.parent.parent)
        if (folder / "shared" / "datasets").is_dir()
    ),
    REPO_ROOT.parent / "shared" / "datasets",
)
DEFAULT_MAX_ROWS = 70_000
SMOKE_DATASETS = ("blood-transfusion", "abalone")
TASKS = ("binary", "multiclass", "regression")

_ROW = re.compile(
    r"^\|\s*(?P<name>[\w.\-]+)\s*\|\s*(?P<task>binary|multiclass|regression)\s*\|"
    r"\s*`(?P<target>[^`]+)`\s*\|"
)


@dataclass(frozen=True)
class Dataset:
    """One benchmark dataset: a Parquet file with a known task and target column."""

    name: str
    task: str
    target: str
    rows: int
    path: Path


def parse_readme_table(text: str) -> dict[str, tuple[str, str]]:
    """Map dataset name to (task, target) from the README's Markdown table rows."""
    table: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if match:
            table[match["name"]] = (match["task"], match["target"])
    return table


def discover(folder: Path = DATASETS_DIR) -> list[Dataset]:
    """Every Parquet file in ``folder`` that the README table describes, smallest first."""
    readme = folder / "README.md"
    if not readme.is_file():
        raise FileNotFoundError(f"dataset README not found: {readme}")
    table = parse_readme_table(readme.read_text(encoding="utf-8"))
    found = []
    for path in sorted(folder.glob("*.parquet")):
        if path.stem not in table:
            continue  # not described: task/target unknown, so not benchmarked
        task, target = table[path.stem]
        rows = pq.read_metadata(path).num_rows
        found.append(Dataset(path.stem, task, target, rows, path))
    return sorted(found, key=lambda d: (d.rows, d.name))


def select(
    available: list[Dataset], spec: str, *, max_rows: int = DEFAULT_MAX_ROWS
) -> list[Dataset]:
    """Datasets for ``spec``: ``all`` (<= max_rows), ``small`` (<= 10k rows) or a name list.

    Named datasets are taken whatever their size; an unknown name raises ValueError
    listing the known ones.
    """
    if spec == "all":
        return [d for d in available if d.rows <= max_rows]
    if spec == "small":
        return [d for d in available if d.rows <= 10_000]
    if spec == "smoke":
        spec = ",".join(SMOKE_DATASETS)
    by_name = {d.name: d for d in available}
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; known: {sorted(by_name)}")
    return [by_name[n] for n in names]
