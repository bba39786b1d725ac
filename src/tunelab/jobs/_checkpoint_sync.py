"""A search checkpoint mirrored to a remote artifact store, so any worker can resume it.

The search writes its checkpoint (see ``tunelab.search``) to a local folder; with artifacts
on S3 or another remote store this mirror copies the folder to
``checkpoints/<experiment id>/`` in the store after every finished trial, and a worker that
takes the job over (on any host) first copies it back. Files are uploaded models and study
first, trial records last: a trial's record is its commit point, so a copy holding it also
holds what it needs. Files the search removed (evicted models, finished "running" marks) are
removed from the store too.
"""

import contextlib
import posixpath
import shutil
from pathlib import Path

from tunelab.artifacts import ArtifactStore
from tunelab.entities import TrialRecord

_SKIP = (".lock", "study.journal.lock")
_TMP = ".tmp-"


def _order(relative: str) -> int:
    """Upload order: models and the study, then trial records, then the manifest."""
    if relative.startswith("trials/"):
        return 2
    if relative == "manifest.json":
        return 3
    return 1


class CheckpointMirror:
    """Copies ``folder`` to and from ``prefix`` in ``artifacts``; also a search callback
    (``on_trial_end`` pushes)."""

    def __init__(self, artifacts: ArtifactStore, prefix: str, folder: Path) -> None:
        self.artifacts = artifacts
        self.prefix = prefix.strip("/")
        self.folder = folder
        self._pushed: dict[str, tuple[int, int]] = {}  # relative path -> (size, mtime_ns)
        self.uploads = 0

    def _local_files(self) -> dict[str, tuple[int, int]]:
        found = {}
        for path in self.folder.rglob("*"):
            relative = path.relative_to(self.folder).as_posix()
            if not path.is_file() or path.name in _SKIP or _TMP in relative:
                continue
            stat = path.stat()
            found[relative] = (stat.st_size, stat.st_mtime_ns)
        return found

    def restore(self) -> int:
        """Copy the stored checkpoint into the (fresh) local folder; returns files copied."""
        keys = self.artifacts.list(self.prefix)
        if not keys:
            return 0
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        for key in keys:
            self.artifacts.get_file(key, self.folder / posixpath.relpath(key, self.prefix))
        self._pushed = self._local_files()
        return len(keys)

    def push(self) -> None:
        """Upload what changed since the last push; delete what the search removed."""
        local = self._local_files()
        changed = [r for r, sig in local.items() if self._pushed.get(r) != sig]
        for relative in sorted(changed, key=lambda r: (_order(r), r)):
            with contextlib.suppress(FileNotFoundError):  # replaced meanwhile: next push
                self.artifacts.put_file(f"{self.prefix}/{relative}", self.folder / relative)
                self.uploads += 1
        for relative in set(self._pushed) - set(local):
            self.artifacts.delete(f"{self.prefix}/{relative}")
        self._pushed = local

    def drop(self) -> None:
        """Remove the checkpoint from the store and the local folder."""
        self.artifacts.delete(self.prefix)
        shutil.rmtree(self.folder, ignore_errors=True)

    def on_trial_end(self, record: TrialRecord) -> None:
        self.push()
