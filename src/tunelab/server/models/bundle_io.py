"""A model bundle leaving the platform: streamed zip, code snippets, export to S3."""

import json
import posixpath
import shlex
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import Model
from tunelab.server.errors import FieldError
from tunelab.server.object_store import missing_credentials, no_credentials, unreachable

CHUNK = 1024 * 1024


def bundle_files(artifacts: ArtifactStore, model: Model) -> list[tuple[str, str]]:
    """``(artifact key, name inside the bundle)`` of every file of the model's bundle."""
    prefix = model.uri.strip("/")
    return [(key, posixpath.relpath(key, prefix)) for key in artifacts.list(prefix)]


class _Pipe:
    """A write-only, unseekable sink whose bytes are taken out as they arrive."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def stream_zip(artifacts: ArtifactStore, files: list[tuple[str, str]]) -> Iterator[bytes]:
    """The zip of ``files`` chunk by chunk: no file is ever held whole in memory."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        for key, name in files:
            with archive.open(name, "w", force_zip64=True) as entry:
                for chunk in artifacts.iter_chunks(key, CHUNK):
                    entry.write(chunk)
                    if pipe.parts:
                        yield pipe.take()
            yield pipe.take()
    yield pipe.take()


def python_snippet(model: Model, base_url: str, record: dict[str, Any], token: bool) -> str:
    """A runnable script: download the bundle zip, load it with tunelab, predict one row."""
    folder = f"tunelab_model_{model.id[:8]}"
    headers = "{'Authorization': 'Bearer ' + os.environ['TUNELAB_API_TOKEN']}" if token else "{}"
    classify = model.task in ("binary", "multiclass")
    lines = [
        f"# Model {model.name} ({model.id}): download, load and predict with tunelab.",
        "import io",
        "import os",
        "import urllib.request",
        "import zipfile",
        "",
        "import pandas as pd",
        "",
        "import tunelab",
        "",
        f'URL = "{base_url}/api/v1/models/{model.id}/bundle.zip"',
        f"request = urllib.request.Request(URL, headers={headers})",
        "with urllib.request.urlopen(request) as response:",
        f'    zipfile.ZipFile(io.BytesIO(response.read())).extractall("{folder}")',
        "",
        f'bundle = tunelab.load_bundle("{folder}")',
        f"rows = pd.DataFrame([{json.dumps(record, ensure_ascii=False)}])",
        'print("prediction:", bundle.predict(rows).tolist())',
    ]
    if classify:
        lines.append('print("probabilities:", bundle.predict_proba(rows).to_dict("records"))')
    return "\n".join(lines) + "\n"


def curl_snippet(
    model: Model,
    base_url: str,
    record: dict[str, Any],
    token: bool,
    deployment_id: str | None,
) -> str:
    """curl lines: download the bundle, deploy the model, predict one row."""
    auth = ' -H "Authorization: Bearer $TUNELAB_API_TOKEN"' if token else ""
    json_header = " -H 'Content-Type: application/json'"
    body = shlex.quote(json.dumps({"records": [record]}, ensure_ascii=False))
    lines = [
        f"# Model {model.name} ({model.id})",
        "# download the bundle",
        f"curl -fsSL{auth} -o model.zip {base_url}/api/v1/models/{model.id}/bundle.zip",
    ]
    if deployment_id is None:
        deploy_body = shlex.quote(json.dumps({"model_id": model.id}))
        lines += [
            "# deploy it (the answer holds the deployment id)",
            f"curl -fsS -X POST{auth}{json_header} -d {deploy_body} {base_url}/api/v1/deployments",
        ]
    target = deployment_id or "DEPLOYMENT_ID"
    lines += [
        "# predict",
        f"curl -fsS -X POST{auth}{json_header} -d {body} "
        f"{base_url}/api/v1/deployments/{target}/predict",
    ]
    return "\n".join(lines) + "\n"


def export_bundle(
    artifacts: ArtifactStore,
    model: Model,
    url: str,
    storage_options: dict[str, Any],
) -> dict[str, Any]:
    """Copy the bundle to ``url``: its files under that prefix, or one zip if it ends .zip."""
    import fsspec

    files = bundle_files(artifacts, model)
    written: list[str] = []
    total = 0
    try:
        fs, root = fsspec.core.url_to_fs(url, **storage_options)
        if url.endswith(".zip"):
            with fs.open(root, "wb") as out:
                for chunk in stream_zip(artifacts, files):
                    out.write(chunk)
                    total += len(chunk)
            written.append(url)
        else:
            for key, name in files:
                with fs.open(f"{root}/{name}", "wb") as out:
                    total += _copy(artifacts.open(key), out)
                written.append(f"{url}/{name}")
    except FieldError:
        raise
    except Exception as exc:  # fsspec/botocore errors: one message, no network details
        if no_credentials(exc):
            raise missing_credentials(url) from None
        raise unreachable(url, "write to") from None
    return {"url": url, "files": written, "bytes": total}


def _copy(source: IO[bytes], out: Any) -> int:
    total = 0
    with source:
        while chunk := source.read(CHUNK):
            out.write(chunk)
            total += len(chunk)
    return total
