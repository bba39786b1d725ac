"""A search checkpoint: what a search persists so that a killed run resumes where it stopped.

Layout of the folder::

    manifest.json        format version, fingerprint of data + settings, seconds of budget used
    study.journal        the Optuna study (``JournalStorage``; append-only, fsynced by Optuna)
    trials/000007.json   a finished trial: leaderboard row, fold scores, duration, finish order
    running/000008.json  a launched trial that has not finished (rerun on resume)
    kept/000007/         ``oof.npy`` + ``models.skops`` of a trial among the best ``keep_top``
    .lock                ``lockf`` lock held by the process running the search

A trial's JSON file is its commit point: it is written after its kept folder and after the
study was told, and before any callback hears of it. Files are written atomically (see
``_checkpoint_io``), so a process killed at any instant leaves a readable checkpoint.
"""

import contextlib
import fcntl
import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from tunelab.data import fingerprint
from tunelab.entities import ConfigError, TrialRecord, TrialStatus
from tunelab.search._checkpoint_io import (
    canonical,
    decode,
    encode,
    load_models,
    read_json,
    remove_tmp,
    save_models,
    write_dir_atomic,
    write_json,
)
from tunelab.search._problem import SearchProblem, TrialData
from tunelab.search._trial import TrialOutcome, TrialTask

FORMAT_VERSION = 1
STUDY_NAME = "tunelab-search"
LOCK_TIMEOUT = 30.0  # seconds to wait for a previous process to release the folder


@dataclass
class SavedTrial:
    """A finished trial as persisted; ``signed`` is the score in maximise direction."""

    record: TrialRecord
    seq: int
    wall: float
    fold_scores: list[float]
    has_oof: bool
    signed: float | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InFlight:
    """A trial that was launched and never finished (its process died or was stopped)."""

    task: TrialTask
    attempts: int


def search_fingerprint(
    data: TrialData, problem: SearchProblem, families: tuple[str, ...], sampler: str
) -> dict[str, str]:
    """What must not change between a run and its resumption, part by part."""

    def sha(*chunks: bytes) -> str:
        digest = hashlib.sha256()
        for chunk in chunks:
            digest.update(chunk)
        return digest.hexdigest()[:24]

    folds = [np.ascontiguousarray(a, dtype=np.int64).tobytes() for f in data.folds for a in f]
    return {
        "data": sha(fingerprint(data.X).encode(), np.ascontiguousarray(data.y).tobytes()),
        "folds": sha(str(len(data.folds)).encode(), *folds),
        "task and metric": f"{problem.task.value}/{problem.metric}/{problem.n_classes}",
        "preprocessing": sha(canonical(problem.settings).encode()),
        "sampling": sha(canonical(problem.sampling).encode()),
        "seed": str(problem.seed),
        "algorithms": ",".join(families),
        "sampler": sampler,
    }


def _record_json(record: TrialRecord) -> dict[str, Any]:
    return {
        "number": record.number,
        "family": record.family,
        "params": encode(record.params),
        "status": record.status.value,
        "score": encode(record.score),
        "score_std": encode(record.score_std),
        "fit_time": record.fit_time,
        "predict_time": record.predict_time,
        "preprocessing": encode(record.preprocessing),
        "reason": record.reason,
        "source": record.source,
        "host": record.host,
        "node_id": record.node_id,
    }


def _record_from(raw: dict[str, Any]) -> TrialRecord:
    return TrialRecord(
        number=int(raw["number"]),
        family=str(raw["family"]),
        params=decode(raw["params"]),
        status=TrialStatus(raw["status"]),
        score=decode(raw["score"]),
        score_std=decode(raw["score_std"]),
        fit_time=float(raw["fit_time"]),
        predict_time=float(raw["predict_time"]),
        preprocessing=decode(raw["preprocessing"]),
        reason=str(raw["reason"]),
        source=str(raw["source"]),
        host=str(raw.get("host", "")),  # absent in checkpoints written before it was recorded
        node_id=str(raw.get("node_id", "")),
    )


class SearchCheckpoint:
    """Reads and writes one checkpoint folder; holds its lock between ``open`` and ``close``."""

    def __init__(self, folder: str | Path, *, started: float | None = None) -> None:
        self.folder = Path(folder)
        self.started = time.monotonic() if started is None else started
        self.elapsed_before = 0.0
        self.resumed = False
        self._lock_fd: int | None = None
        self._seq = 0
        self._parts: dict[str, str] = {}

    # -- opening ----------------------------------------------------------------------------
    def open(self, parts: dict[str, str]) -> None:
        """Lock the folder and check it belongs to this search (ConfigError otherwise).

        An empty or new folder starts a fresh checkpoint; a folder holding a search of
        other data or settings is refused rather than overwritten.
        """
        try:
            for sub in ("trials", "running", "kept"):
                (self.folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"checkpoint_dir {self.folder}: cannot create ({error})") from None
        self._lock()
        try:
            self._check_manifest(parts)
            for folder in (self.folder, *(self.folder / n for n in ("trials", "running", "kept"))):
                remove_tmp(folder)
            self._repair_journal()
        except BaseException:
            self.close()
            raise

    def _lock(self) -> None:
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock_fd = fd
                return
            except OSError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise ConfigError(
                        f"checkpoint_dir {self.folder} is in use by another running search"
                    ) from None
                time.sleep(0.2)

    def _check_manifest(self, parts: dict[str, str]) -> None:
        path = self.folder / "manifest.json"
        if not path.exists():
            if any((self.folder / "trials").glob("[0-9]*.json")):
                raise ConfigError(f"checkpoint_dir {self.folder} has trials but no {path.name}")
            write_json(path, self._manifest(parts, 0.0))
            return
        manifest = read_json(path)
        if manifest.get("version") != FORMAT_VERSION:
            raise ConfigError(
                f"checkpoint {path} has format version {manifest.get('version')!r}; "
                f"this tunelab reads version {FORMAT_VERSION}"
            )
        stored = manifest.get("fingerprint", {})
        differing = [name for name in parts if stored.get(name) != parts[name]]
        if differing:
            raise ConfigError(
                f"checkpoint_dir {self.folder} holds a search with other "
                f"{', '.join(differing)}; resuming needs the same data and settings "
                "(use an empty folder, or delete this one to start over)"
            )
        self.elapsed_before = float(manifest.get("elapsed", 0.0))
        self._parts = parts

    def _manifest(self, parts: dict[str, str], elapsed: float) -> dict[str, Any]:
        self._parts = parts
        return {"version": FORMAT_VERSION, "fingerprint": parts, "elapsed": elapsed}

    def _repair_journal(self) -> None:
        """Drop a torn last line (a kill during Optuna's append) and a stale append lock."""
        journal = self.folder / "study.journal"
        stale_lock = self.folder / "study.journal.lock"
        if stale_lock.is_symlink() or stale_lock.exists():
            stale_lock.unlink()
        if not journal.exists():
            return
        content = journal.read_bytes()
        if content and not content.endswith(b"\n"):
            with journal.open("rb+") as handle:
                handle.truncate(content.rfind(b"\n") + 1)

    def close(self) -> None:
        """Release the folder's lock (also released by the OS if the process dies)."""
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def storage(self) -> optuna.storages.BaseStorage:
        """The Optuna storage of the persisted study."""
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(str(self.folder / "study.journal")))

    # -- budget ---------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Seconds of the time budget used by every attempt so far, this one included."""
        return self.elapsed_before + time.monotonic() - self.started

    def save_elapsed(self) -> None:
        write_json(self.folder / "manifest.json", self._manifest(self._parts, self.elapsed))

    # -- writing ----------------------------------------------------------------------------
    @staticmethod
    def _name(number: int) -> str:
        return f"{number:06d}"

    def save_running(self, task: TrialTask, attempts: int) -> None:
        write_json(
            self.folder / "running" / f"{self._name(task.number)}.json",
            {
                "number": task.number,
                "family": task.family,
                "params": encode(task.params),
                "source": task.source,
                "attempts": attempts,
            },
        )
        self.save_elapsed()

    def save_kept(self, outcome: TrialOutcome) -> None:
        """Persist what the final ensemble needs of a kept trial: OOF + fold models."""
        oof, models = outcome.oof, outcome.models
        assert oof is not None
        assert models is not None

        def fill(tmp: Path) -> None:
            np.save(tmp / "oof.npy", np.asarray(oof), allow_pickle=False)
            save_models(models, tmp / "models.skops")

        write_dir_atomic(self.folder / "kept" / self._name(outcome.task.number), fill)

    def drop_kept(self, number: int) -> None:
        shutil.rmtree(self.folder / "kept" / self._name(number), ignore_errors=True)

    def commit(
        self,
        outcome: TrialOutcome,
        record: TrialRecord,
        signed: float | None,
        wall: float,
        *,
        kept: bool,
        evicted: list[int] | tuple[int, ...] = (),
    ) -> None:
        """Persist a finished trial: its kept folder first, then its record (the commit
        point), then drop the kept folder of the trial it pushed out of the best."""
        if kept:
            self.save_kept(outcome)
        self.save_trial(
            SavedTrial(
                record=record,
                seq=0,
                wall=wall,
                fold_scores=list(outcome.fold_scores),
                has_oof=outcome.oof is not None or bool(outcome.details.get("not_kept")),
                signed=signed,
                details=outcome.details,
            )
        )
        for number in evicted:
            if number != record.number:
                self.drop_kept(number)

    def save_trial(self, saved: SavedTrial) -> None:
        """Commit a finished trial, then forget it was running."""
        saved.seq = self._seq
        self._seq += 1
        number = saved.record.number
        write_json(
            self.folder / "trials" / f"{self._name(number)}.json",
            {
                "record": _record_json(saved.record),
                "seq": saved.seq,
                "wall": saved.wall,
                "fold_scores": encode([float(s) for s in saved.fold_scores]),
                "has_oof": saved.has_oof,
                "signed": encode(saved.signed),
                "details": encode(saved.details),
            },
        )
        (self.folder / "running" / f"{self._name(number)}.json").unlink(missing_ok=True)
        self.save_elapsed()

    # -- reading ----------------------------------------------------------------------------
    def load_trials(self) -> list[SavedTrial]:
        """Every committed trial, in the order they finished."""
        saved = []
        for path in sorted((self.folder / "trials").glob("[0-9]*.json")):
            raw = read_json(path)
            saved.append(
                SavedTrial(
                    record=_record_from(raw["record"]),
                    seq=int(raw["seq"]),
                    wall=float(raw["wall"]),
                    fold_scores=[float(s) for s in decode(raw["fold_scores"])],
                    has_oof=bool(raw["has_oof"]),
                    signed=decode(raw["signed"]),
                    details=decode(raw.get("details", {})),
                )
            )
        saved.sort(key=lambda s: s.seq)
        self._seq = saved[-1].seq + 1 if saved else 0
        self.resumed = bool(saved)
        return saved

    def load_in_flight(self, finished: set[int]) -> list[InFlight]:
        """Trials launched but never committed (running files of finished ones are removed)."""
        flights = []
        for path in sorted((self.folder / "running").glob("[0-9]*.json")):
            raw = read_json(path)
            number = int(raw["number"])
            if number in finished:
                path.unlink(missing_ok=True)
                continue
            task = TrialTask(number, str(raw["family"]), decode(raw["params"]), str(raw["source"]))
            flights.append(InFlight(task, int(raw["attempts"])))
        self.resumed = self.resumed or bool(flights)
        return flights

    def load_kept(self, saved: SavedTrial) -> TrialOutcome | None:
        """The kept outcome of ``saved`` (None when it was not among the kept trials)."""
        folder = self.folder / "kept" / self._name(saved.record.number)
        if not (folder / "oof.npy").exists() or not (folder / "models.skops").exists():
            return None
        record = saved.record
        task = TrialTask(record.number, record.family, dict(record.params), record.source)
        return TrialOutcome(
            task=task,
            status=record.status,
            fold_scores=list(saved.fold_scores),
            oof=np.load(folder / "oof.npy", allow_pickle=False),
            models=load_models(folder / "models.skops"),
            fit_time=record.fit_time,
            predict_time=record.predict_time,
            reason=record.reason,
            details=dict(saved.details),
        )

    def kept_numbers(self) -> set[int]:
        """Trial numbers that have a kept folder on disk."""
        return {int(p.name) for p in (self.folder / "kept").iterdir() if p.name.isdigit()}
