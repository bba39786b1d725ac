"""CheckpointMirror: a checkpoint folder copied to an artifact store and back (real files)."""

from pathlib import Path

from tunelab.artifacts import ArtifactStore
from tunelab.jobs._checkpoint_sync import CheckpointMirror


def _write(folder: Path, relative: str, text: str) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_push_copies_changes_and_removals_and_restore_brings_them_back(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    source = tmp_path / "host-a" / "ckpt"
    mirror = CheckpointMirror(store, "checkpoints/e1", source)
    _write(source, "manifest.json", "{}")
    _write(source, "study.journal", "j1")
    _write(source, "trials/000000.json", "t0")
    _write(source, "kept/000000/oof.npy", "o0")
    _write(source, "running/000001.json", "r1")
    _write(source, ".lock", "")
    _write(source, "trials/.tmp-abc", "partial")
    mirror.push()
    assert store.list("checkpoints/e1") == [
        "checkpoints/e1/kept/000000/oof.npy",
        "checkpoints/e1/manifest.json",
        "checkpoints/e1/running/000001.json",
        "checkpoints/e1/study.journal",
        "checkpoints/e1/trials/000000.json",
    ]  # no lock, no temporary file

    uploads = mirror.uploads
    mirror.push()
    assert mirror.uploads == uploads  # nothing changed: nothing uploaded

    (source / "running" / "000001.json").unlink()  # trial 1 finished; its model evicted 0's
    _write(source, "trials/000001.json", "t1")
    (source / "kept" / "000000" / "oof.npy").unlink()
    mirror.push()
    assert store.read_bytes("checkpoints/e1/trials/000001.json") == b"t1"
    assert not store.exists("checkpoints/e1/running/000001.json")
    assert not store.exists("checkpoints/e1/kept/000000/oof.npy")

    other = CheckpointMirror(store, "checkpoints/e1", tmp_path / "host-b" / "ckpt")
    assert other.restore() == 4
    restored = sorted(p.relative_to(other.folder).as_posix() for p in other.folder.rglob("*.*"))
    assert restored == [
        "manifest.json",
        "study.journal",
        "trials/000000.json",
        "trials/000001.json",
    ]
    other.drop()
    assert store.list("checkpoints/e1") == []
    assert not other.folder.exists()


def test_restore_of_an_absent_checkpoint_leaves_the_folder_alone(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    _write(tmp_path / "ckpt", "manifest.json", "{}")
    assert CheckpointMirror(store, "checkpoints/none", tmp_path / "ckpt").restore() == 0
    assert (tmp_path / "ckpt" / "manifest.json").read_text() == "{}"
