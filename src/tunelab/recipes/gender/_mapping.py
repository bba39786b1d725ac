"""Versioned mapping tables product_id -> category and search_keyword -> category.

The lab scraped the live shop and deleted the files afterwards (defect §9.10). Here both tables
come from the simulated shop's catalog and its search function, and are saved as versioned CSV
files with a JSON manifest (version and sha256 of each file).
"""

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pandas as pd

from tunelab.entities import DataError
from tunelab.recipes.gender import _catalog as cat

MAPPING_VERSION = "v1"
PRODUCT_FILE = f"product_category.{MAPPING_VERSION}.csv"
KEYWORD_FILE = f"keyword_category.{MAPPING_VERSION}.csv"
MANIFEST_FILE = f"mappings.{MAPPING_VERSION}.json"
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


def search(query: str) -> list[cat.Product]:
    """The shop's ``/search?query=``: products whose name or category contains the query
    (case-insensitive), in catalog order."""
    q = query.strip().lower()
    if not q:
        return []
    return [p for p in cat.PRODUCTS if q in p.name.lower() or q in p.category.lower()]


def keyword_category(query: str, max_hits: int = 5) -> str | None:
    """The most common category among the first ``max_hits`` search hits, else None.

    Like the lab, the observed spelling is tried first, then Title, lower and UPPER case.
    Ties go to the category seen first.
    """
    for variant in dict.fromkeys([query, query.title(), query.lower(), query.upper()]):
        hits = search(variant)[:max_hits]
        if hits:
            counts = Counter(p.category for p in hits)
            return counts.most_common(1)[0][0]
    return None


def normalise_keyword(raw: str) -> str:
    """The join key of a raw ``query=`` value: URL-decoded, stripped, lowercased.

    The lab dropped URL-encoded keywords instead; decoding keeps "blu%20tooth" (which the search
    does not find either, so the table maps it to None).
    """
    return unquote(raw).strip().lower()


def product_table() -> pd.DataFrame:
    """product_id -> category, from the shop's product pages (the catalog)."""
    return pd.DataFrame(
        {
            "product_id": [p.id for p in cat.PRODUCTS],
            "category": [p.category for p in cat.PRODUCTS],
        }
    )


def keyword_table(keywords: pd.Series) -> pd.DataFrame:
    """search_keyword -> category for the distinct non-empty keywords of the log.

    Args:
        keywords: the raw ``search_keyword`` column.
    """
    raw = keywords.dropna().astype(str)
    raw = raw[raw.str.strip() != ""]
    spellings: dict[str, list[str]] = {}
    for value in sorted(set(raw)):
        spellings.setdefault(normalise_keyword(value), []).append(unquote(value))
    rows = []
    for key in sorted(spellings):
        category = None
        for spelling in spellings[key]:
            category = keyword_category(spelling)
            if category is not None:
                break
        rows.append({"search_keyword": key, "category": category})
    table = pd.DataFrame(rows, columns=["search_keyword", "category"])
    return table.astype({"search_keyword": "str", "category": "str"})


def save_mappings(out_dir: Path, products: pd.DataFrame, keywords: pd.DataFrame) -> Path:
    """Writes both CSV files and the manifest (version, row counts, sha256) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {PRODUCT_FILE: products, KEYWORD_FILE: keywords}
    manifest: dict[str, object] = {"version": MAPPING_VERSION, "files": {}}
    for name, table in files.items():
        path = out_dir / name
        table.to_csv(path, index=False)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest["files"][name] = {"rows": len(table), "sha256": digest}  # type: ignore[index]
    manifest_path = out_dir / MANIFEST_FILE
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest_path


def load_mappings(out_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reads both tables back, checking each file's sha256 against the manifest."""
    manifest_path = out_dir / MANIFEST_FILE
    if not manifest_path.is_file():
        raise DataError(f"mapping manifest not found: {manifest_path}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables = []
    for name in (PRODUCT_FILE, KEYWORD_FILE):
        path = out_dir / name
        expected = manifest.get("files", {}).get(name, {}).get("sha256")
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise DataError(f"mapping file {path} is missing or does not match {manifest_path}")
        tables.append(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
    return tables[0], tables[1]
