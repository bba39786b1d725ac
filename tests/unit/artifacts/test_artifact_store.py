"""Streaming, checksummed, atomic artifact writes on a local folder and on S3."""

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tunelab.artifacts import ArtifactStore
from tunelab.entities import ConfigError
from tunelab.entities.platform import ArtifactTooLargeError, NotFoundError


def _payload(n: int) -> bytes:
    return os.urandom(n)


def test_stream_round_trip_with_checksum(artifacts: ArtifactStore, tmp_path: Path) -> None:
    data = _payload(3 * 1024 * 1024 + 17)
    info = artifacts.put_stream("datasets/d1/train.csv", io.BytesIO(data))
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert artifacts.exists("datasets/d1/train.csv")
    assert artifacts.size("datasets/d1/train.csv") == len(data)
    chunks = list(artifacts.iter_chunks("datasets/d1/train.csv", chunk_size=1024 * 1024))
    assert len(chunks) == 4
    assert b"".join(chunks) == data
    local = artifacts.get_file("datasets/d1/train.csv", tmp_path / "out" / "copy.csv")
    assert local.read_bytes() == data
    assert [p.name for p in local.parent.iterdir()] == ["copy.csv"]


def test_iterable_source_and_listing(artifacts: ArtifactStore) -> None:
    artifacts.put_stream("a/x.bin", iter([b"ab", b"cd"]))
    artifacts.put_bytes("a/sub/y.json", b"{}")
    artifacts.put_bytes("b/z", b"z")
    assert artifacts.list("a") == ["a/sub/y.json", "a/x.bin"]
    assert artifacts.list() == ["a/sub/y.json", "a/x.bin", "b/z"]
    assert artifacts.list("missing") == []
    assert artifacts.read_bytes("a/x.bin") == b"abcd"
    artifacts.delete("a")
    assert artifacts.list() == ["b/z"]
    artifacts.delete("a")  # absent is fine


def _failing_chunks() -> Iterator[bytes]:
    yield b"x" * 1000
    raise OSError("connection reset by client")


def test_failed_write_leaves_nothing(artifacts: ArtifactStore) -> None:
    artifacts.put_bytes("keep/old.csv", b"old")
    with pytest.raises(OSError, match="connection reset"):
        artifacts.put_stream("keep/old.csv", _failing_chunks())
    assert artifacts.read_bytes("keep/old.csv") == b"old"  # the previous version survives
    assert artifacts.list() == ["keep/old.csv"]
    assert not artifacts.fs.exists(f"{artifacts.root}/_tmp") or not artifacts.fs.find(
        f"{artifacts.root}/_tmp"
    )


def test_oversized_write_is_refused_and_discarded(artifacts: ArtifactStore) -> None:
    data = _payload(10_000)
    with pytest.raises(ArtifactTooLargeError, match=r"big\.bin: more than the limit of 4096"):
        artifacts.put_stream("big.bin", [data[:4000], data[4000:]], max_bytes=4096)
    assert not artifacts.exists("big.bin")
    assert artifacts.list() == []
    info = artifacts.put_stream("ok.bin", [data[:4096]], max_bytes=4096)
    assert info.size == 4096


def test_directories_round_trip(artifacts: ArtifactStore, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "nested").mkdir(parents=True)
    (bundle / "manifest.json").write_text('{"a": 1}')
    (bundle / "nested" / "model.skops").write_bytes(b"\x00\x01")
    infos = artifacts.put_dir("models/m1", bundle)
    assert [i.key for i in infos] == ["models/m1/manifest.json", "models/m1/nested/model.skops"]
    out = artifacts.get_dir("models/m1", tmp_path / "copy")
    assert (out / "manifest.json").read_text() == '{"a": 1}'
    assert (out / "nested" / "model.skops").read_bytes() == b"\x00\x01"
    with pytest.raises(NotFoundError, match="models/none"):
        artifacts.get_dir("models/none", tmp_path / "none")


def test_missing_keys_and_bad_keys(artifacts: ArtifactStore) -> None:
    with pytest.raises(NotFoundError, match=r"artifact 'nope\.csv'"):
        artifacts.open("nope.csv")
    with pytest.raises(NotFoundError):
        artifacts.size("nope.csv")
    for bad in ["", "../escape", "a/../../b", "_tmp/x", "a\\b"]:
        with pytest.raises(ConfigError, match="artifact key"):
            artifacts.path(bad)


def test_uri_is_readable_with_fsspec(artifacts: ArtifactStore) -> None:
    import fsspec

    artifacts.put_bytes("t/table.csv", b"a,b\n1,2\n")
    with fsspec.open(artifacts.uri("t/table.csv"), "rb", **artifacts.storage_options) as f:
        assert f.read() == b"a,b\n1,2\n"


def test_unknown_protocol_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="nosuchproto://x"):
        ArtifactStore("nosuchproto://x")
