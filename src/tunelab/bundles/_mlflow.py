"""Export a bundle as an MLflow model folder (``python_function`` flavor), without mlflow.

The folder holds ``MLmodel`` (YAML written here), a verified copy of the bundle in
``bundle/``, ``input_example.json`` and ``serving_input_example.json``, and the
environment files (``requirements.txt``, ``python_env.yaml``, ``conda.yaml``).
``mlflow.pyfunc.load_model(folder)`` imports :mod:`tunelab.bundles.mlflow_pyfunc` (the
``loader_module``), which loads the bundle through :func:`load_bundle` (skops with
tunelab's trust list; never pickle).
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from tunelab.bundles._bundle import Bundle, _replace_dir, load_bundle
from tunelab.bundles._manifest import MANIFEST
from tunelab.entities import BundleError, ColumnKind

LOADER_MODULE = "tunelab.bundles.mlflow_pyfunc"
DATA_DIR = "bundle"
_MLFLOW_TYPES = {
    ColumnKind.NUMERIC: "double",
    ColumnKind.BOOLEAN: "string",
    ColumnKind.DATETIME: "string",
    ColumnKind.CATEGORICAL: "string",
    ColumnKind.ID: "string",
    ColumnKind.TEXT: "string",
}
# distribution names of the libraries a bundle's manifest records (key -> pip name)
_PIP_NAMES = {
    "tunelab": "tunelab",
    "scikit-learn": "scikit-learn",
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
    "catboost": "catboost",
    "skops": "skops",
    "numpy": "numpy",
    "pandas": "pandas",
}
_MODEL_LIBS = {"lightgbm", "xgboost", "catboost"}


def mlflow_signature(bundle: Bundle) -> dict[str, str]:
    """The MLmodel ``signature``: one column spec per input, the prediction as output."""
    inputs = [
        {"type": _MLFLOW_TYPES.get(ColumnKind(c.kind), "string"), "name": c.name, "required": True}
        for c in bundle.schema
        if c.name in bundle.feature_columns
    ]
    if bundle.task.is_classification:
        classes = bundle.classes or []
        kind = "string" if any(isinstance(c, str) for c in classes) else "double"
        outputs = [{"type": kind, "required": True}]
    else:
        outputs = [{"type": "double", "required": True}]
    return {
        "inputs": json.dumps(inputs),
        "outputs": json.dumps(outputs),
        "params": json.dumps(
            [
                {
                    "name": "predict_method",
                    "type": "string",
                    "default": "predict",
                    "shape": None,
                }
            ]
        ),
    }


def input_example(bundle: Bundle, n_rows: int = 3) -> pd.DataFrame:
    """A few typical rows (most frequent category, median number) in the input schema."""
    stats = bundle.reference_statistics
    row: dict[str, Any] = {}
    for col in bundle.schema:
        if col.name not in bundle.feature_columns:
            continue
        kind = ColumnKind(col.kind)
        info = stats.get(col.name) or {}
        if kind is ColumnKind.NUMERIC:
            value = (info.get("quantiles") or {}).get("0.5", info.get("mean"))
            row[col.name] = float(value) if isinstance(value, int | float) else 0.0
        elif kind is ColumnKind.DATETIME:
            value = (info.get("quantiles") or {}).get("0.5")
            when = pd.Timestamp(int(value)) if isinstance(value, int | float) else pd.Timestamp(0)
            row[col.name] = when.isoformat()
        elif info.get("frequencies"):
            row[col.name] = str(next(iter(info["frequencies"])))
        elif col.categories:
            row[col.name] = str(col.categories[0])
        else:
            row[col.name] = ""
    return pd.DataFrame([row] * n_rows)


def _requirements(bundle: Bundle) -> list[str]:
    saved = bundle.manifest.get("libraries") or {}
    used = set(bundle.manifest.get("model_libraries") or [])
    out = []
    for key, pip_name in _PIP_NAMES.items():
        if key in _MODEL_LIBS and key not in used:
            continue
        version = saved.get(key)
        out.append(f"{pip_name}=={version}" if version else pip_name)
    return out


def export_mlflow(bundle_path: str | Path, out: str | Path) -> Path:
    """Write the MLflow model folder of the bundle at ``bundle_path`` to ``out``.

    The bundle is verified and loaded first (so a broken or untrusted bundle is refused
    before anything is written); ``out`` is replaced only once the new folder is complete.
    Raises BundleError when ``out`` is an existing file.
    """
    bundle = load_bundle(bundle_path)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BundleError(f"cannot write an MLflow model to {out}: it is an existing file")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        _write(bundle, tmp)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(bundle: Bundle, folder: Path) -> None:
    data = folder / DATA_DIR
    data.mkdir()
    shutil.copy2(bundle.path / MANIFEST, data / MANIFEST)
    for name in bundle.manifest["files"]:
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle.path / name, data / name)
    example = input_example(bundle)
    split = json.loads(example.to_json(orient="split", index=False))
    (folder / "input_example.json").write_text(json.dumps(split) + "\n")
    (folder / "serving_input_example.json").write_text(
        json.dumps({"dataframe_split": split}, indent=2) + "\n"
    )
    requirements = _requirements(bundle)
    (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
    python = platform.python_version()
    (folder / "python_env.yaml").write_text(
        yaml.safe_dump(
            {
                "python": python,
                "build_dependencies": ["pip"],
                "dependencies": ["-r requirements.txt"],
            },
            sort_keys=False,
        )
    )
    (folder / "conda.yaml").write_text(
        yaml.safe_dump(
            {
                "channels": ["conda-forge"],
                "dependencies": [f"python={python}", "pip", {"pip": requirements}],
                "name": "tunelab_env",
            },
            sort_keys=False,
        )
    )
    mlmodel = {
        "artifact_path": "model",
        "flavors": {
            "python_function": {
                "loader_module": LOADER_MODULE,
                "data": DATA_DIR,
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "python_version": python,
            },
            "tunelab": {
                "task": bundle.task.value,
                "target": bundle.manifest.get("target"),
                "classes": bundle.classes,
                "bundle_format_version": bundle.manifest.get("format_version"),
                "tunelab_version": (bundle.manifest.get("libraries") or {}).get("tunelab"),
            },
        },
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "signature": mlflow_signature(bundle),
        "saved_input_example_info": {
            "artifact_path": "input_example.json",
            "type": "dataframe",
            "pandas_orient": "split",
            "serving_input_path": "serving_input_example.json",
        },
    }
    (folder / "MLmodel").write_text(yaml.safe_dump(mlmodel, sort_keys=False))
