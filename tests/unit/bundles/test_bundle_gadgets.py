"""Crafted bundles, one per known skops gadget: each is refused with a BundleError naming the
offending type, and nothing it asks for is written or run.

Every crafted bundle has a valid manifest (checksums resealed over the malicious file), so
the trust list, not the checksum, is what stops it. A control test loads the first gadget
the way a "trust whatever the file needs" loader would and shows it really writes its file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from tunelab.bundles import load_bundle, save_bundle
from tunelab.bundles._archive import check_model_archive
from tunelab.bundles._manifest import MANIFEST, MODEL_FILE, seal
from tunelab.ensembling import FoldBag
from tunelab.entities import BundleError

_ID = iter(range(10**6, 10**7))


def _json(value: Any) -> dict[str, Any]:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
        "__id__": next(_ID),
    }


def _list(items: list[Any], cls: str = "list") -> dict[str, Any]:
    loader = "TupleNode" if cls == "tuple" else "ListNode"
    content = [i if isinstance(i, dict) else _json(i) for i in items]
    return {
        "__class__": cls,
        "__module__": "builtins",
        "__loader__": loader,
        "content": content,
        "__id__": next(_ID),
    }


def reduce_call(module: str, name: str, *args: Any) -> dict[str, Any]:
    """A ConstructorFromReduceNode: loading calls ``module.name(*args)``."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": _list(list(args), "tuple"),
        "__id__": next(_ID),
    }


def function_node(module: str, name: str) -> dict[str, Any]:
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode", "__id__": 7}


def object_node(module: str, name: str) -> dict[str, Any]:
    return {"__class__": name, "__module__": module, "__loader__": "ObjectNode", "__id__": 8}


def attrgetter_node() -> dict[str, Any]:
    return {
        "__class__": "attrgetter",
        "__module__": "operator",
        "__loader__": "OperatorFuncNode",
        "attrs": _list(["__class__.__init__.__globals__"], "tuple"),
        "__id__": 9,
    }


def skops_bytes(tree: dict[str, Any], extra: dict[str, bytes] | None = None) -> bytes:
    schema = {**tree, "protocol": 2, "_skops_version": "0.16.0"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema).encode())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = (X["a"] > 0).astype(int).to_numpy()
    path = tmp_path_factory.mktemp("good") / "bundle"
    return save_bundle(
        path,
        FoldBag([LogisticRegression().fit(X, y)], n_classes=2).fit(),
        task="binary",
        target="t",
        classes=[0, 1],
        feature_columns=["a", "b"],
        input_schema=X,
    )


def plant(good: Path, dest: Path, model: bytes, **manifest_changes: Any) -> Path:
    """A copy of ``good`` whose model file is ``model``, with a valid, resealed manifest."""
    dest.mkdir()
    (dest / MODEL_FILE).write_bytes(model)
    manifest = json.loads((good / MANIFEST).read_text())
    manifest.pop("manifest_sha256")
    manifest["files"] = {MODEL_FILE: hashlib.sha256(model).hexdigest()}
    manifest.update(manifest_changes)
    (dest / MANIFEST).write_text(json.dumps(seal(manifest)))
    return dest


def _cases(target: Path) -> dict[str, tuple[dict[str, Any], str]]:
    t = str(target)
    code = f"open({t!r}, 'w').write('pwned')"
    return {
        "numpy.savetxt": (
            reduce_call("numpy", "savetxt", t, [], "%s", ",", "\n", "pwned"),
            "numpy.savetxt",
        ),
        "numpy.ctypeslib.load_library": (
            reduce_call("numpy.ctypeslib", "load_library", "libc.so.6", "/lib"),
            "numpy.ctypeslib.load_library",
        ),
        "builtins.eval": (reduce_call("builtins", "eval", code), "builtins.eval"),
        "builtins.exec": (reduce_call("builtins", "exec", code), "builtins.exec"),
        "builtins.getattr": (reduce_call("builtins", "getattr", "x", "upper"), "builtins.getattr"),
        "builtins.open": (reduce_call("builtins", "open", t, "w"), "builtins.open"),
        "os.system": (reduce_call("os", "system", f"echo pwned > {t}"), "os.system"),
        "subprocess.Popen": (
            reduce_call("subprocess", "Popen", ["touch", t]),
            "subprocess.Popen",
        ),
        "function node": (function_node("os", "system"), "os.system"),
        "object node": (object_node("subprocess", "Popen"), "subprocess.Popen"),
        "operator.attrgetter": (attrgetter_node(), "operator.attrgetter"),
    }


CASES = list(_cases(Path("x")))


def test_control_the_savetxt_gadget_is_live(tmp_path: Path) -> None:
    """Trusting what the file asks for (the old behaviour) writes the attacker's file."""
    target = tmp_path / "written.txt"
    tree, _ = _cases(target)["numpy.savetxt"]
    data = skops_bytes(tree)
    sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert "pwned" in target.read_text()


@pytest.mark.parametrize("case", CASES)
def test_gadget_refused_and_nothing_written(good_bundle: Path, tmp_path: Path, case: str) -> None:
    target = tmp_path / "written.txt"
    tree, offender = _cases(target)[case]
    bundle = plant(good_bundle, tmp_path / "evil", skops_bytes(tree))
    with pytest.raises(BundleError, match=offender.replace(".", r"\.")):
        load_bundle(bundle)
    assert not target.exists()


@pytest.mark.parametrize("case", ["numpy.savetxt", "os.system", "builtins.eval"])
def test_manifest_listing_the_gadget_as_trusted_is_ignored(
    good_bundle: Path, tmp_path: Path, case: str
) -> None:
    target = tmp_path / "written.txt"
    tree, offender = _cases(target)[case]
    bundle = plant(
        good_bundle,
        tmp_path / "evil",
        skops_bytes(tree),
        trusted_types=[offender, "numpy.savetxt", "os.system"],
        model_libraries=["numpy", "python", "sklearn", "tunelab"],
    )
    with pytest.raises(BundleError, match=offender.replace(".", r"\.")):
        load_bundle(bundle)
    assert not target.exists()


def test_gadget_hidden_inside_a_real_model_refused(good_bundle: Path, tmp_path: Path) -> None:
    """A valid model whose state carries a gadget deep inside is refused as a whole."""
    target = tmp_path / "written.txt"
    with zipfile.ZipFile(good_bundle / MODEL_FILE) as archive:
        schema = json.loads(archive.read("schema.json"))
        arrays = {n: archive.read(n) for n in archive.namelist() if n != "schema.json"}
    schema["content"]["content"]["evil"] = _cases(target)["numpy.savetxt"][0]
    schema.pop("protocol"), schema.pop("_skops_version")
    bundle = plant(good_bundle, tmp_path / "evil", skops_bytes(schema, arrays))
    with pytest.raises(BundleError, match=r"numpy\.savetxt"):
        load_bundle(bundle)
    assert not target.exists()


def test_model_libraries_narrow_the_list(good_bundle: Path, tmp_path: Path) -> None:
    """A manifest naming fewer libraries than the model uses is refused (never widened)."""
    model = (good_bundle / MODEL_FILE).read_bytes()
    assert json.loads((good_bundle / MANIFEST).read_text())["model_libraries"] == ["tunelab"]
    load_bundle(plant(good_bundle, tmp_path / "ok", model))  # the untouched copy loads
    bundle = plant(good_bundle, tmp_path / "b", model, model_libraries=["lightgbm"])
    with pytest.raises(BundleError, match=r"tunelab\.ensembling\._estimators\.FoldBag"):
        load_bundle(bundle)
    bad = plant(good_bundle, tmp_path / "c", model, model_libraries=["evil"])
    with pytest.raises(BundleError, match="evil"):
        load_bundle(bad)


def test_unsealed_malicious_model_refused_by_checksum(good_bundle: Path, tmp_path: Path) -> None:
    target = tmp_path / "written.txt"
    dest = tmp_path / "evil"
    dest.mkdir()
    (dest / MANIFEST).write_text((good_bundle / MANIFEST).read_text())
    (dest / MODEL_FILE).write_bytes(skops_bytes(_cases(target)["numpy.savetxt"][0]))
    with pytest.raises(BundleError, match="sha256"):
        load_bundle(dest)
    assert not target.exists()


def test_path_traversal_member_refused(good_bundle: Path, tmp_path: Path) -> None:
    inner = tmp_path / "deep" / "er"
    inner.mkdir(parents=True)
    with zipfile.ZipFile(good_bundle / MODEL_FILE) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("../../escaped.txt", b"pwned")
    bundle = plant(good_bundle, inner / "evil", buffer.getvalue())
    with pytest.raises(BundleError, match=r"unsafe member name '\.\./\.\./escaped\.txt'"):
        load_bundle(bundle)
    assert not (tmp_path / "escaped.txt").exists()
    assert not (inner / "escaped.txt").exists()


def test_manifest_file_outside_the_bundle_refused(good_bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x")
    model = (good_bundle / MODEL_FILE).read_bytes()
    bundle = plant(good_bundle, tmp_path / "b", model)
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest.pop("manifest_sha256")
    manifest["files"]["../secret.txt"] = hashlib.sha256(b"x").hexdigest()
    (bundle / MANIFEST).write_text(json.dumps(seal(manifest)))
    with pytest.raises(BundleError, match="outside the bundle"):
        load_bundle(bundle)


def test_zip_bomb_refused_before_reading(good_bundle: Path, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b" " * (64 * 1024 * 1024))
    bundle = plant(good_bundle, tmp_path / "bomb", buffer.getvalue())
    assert (bundle / MODEL_FILE).stat().st_size < 1024 * 1024
    with pytest.raises(BundleError, match="zip bomb"):
        load_bundle(bundle)


def test_oversized_archive_refused(good_bundle: Path) -> None:
    size = (good_bundle / MODEL_FILE).stat().st_size
    check_model_archive(good_bundle / MODEL_FILE)  # the real bundle passes
    with pytest.raises(BundleError, match="over the limit"):
        check_model_archive(good_bundle / MODEL_FILE, max_bytes=size // 4)


def test_not_an_archive_refused(good_bundle: Path, tmp_path: Path) -> None:
    bundle = plant(good_bundle, tmp_path / "b", b"not a zip at all")
    with pytest.raises(BundleError, match="not a valid archive"):
        load_bundle(bundle)


def test_saving_a_model_with_a_foreign_function_refused(tmp_path: Path) -> None:
    from sklearn.preprocessing import FunctionTransformer

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(BundleError, match=r"getcwd"):
        save_bundle(
            tmp_path / "b",
            FunctionTransformer(func=os.getcwd).fit(X),
            task="regression",
            target="t",
            classes=None,
            feature_columns=["a"],
            input_schema=X,
        )
    assert not (tmp_path / "b").exists()


def test_tunelab_predict_refuses_a_gadget_bundle(good_bundle: Path, tmp_path: Path) -> None:
    """The real command line: non-zero exit naming the type; nothing written or predicted."""
    import subprocess
    import sys

    target = tmp_path / "written.txt"
    bundle = plant(good_bundle, tmp_path / "evil", skops_bytes(_cases(target)["os.system"][0]))
    data = tmp_path / "rows.csv"
    data.write_text("a,b\n1,2\n")
    out = tmp_path / "pred.csv"
    command = [sys.executable, "-c", "from tunelab.cli import main; main()", "predict"]
    run = subprocess.run(
        [*command, str(bundle), str(data), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "os.system" in run.stdout + run.stderr
    assert not target.exists()
    assert not out.exists()
