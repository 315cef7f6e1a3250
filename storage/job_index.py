"""Markers beside the job folders, so nothing has to read every stored job to answer
"which jobs are unfinished?", "which are newest?" or "which ended with this status?".

  pending/<id>                         from creation until the job record is finished
  index/<created ns>-<id>              one per stored job; names sort by creation time
  finished/<STATUS>/<created ns>-<id>  one per finished job, under its final status
  owners/<client>/all/<created ns>-<id>  one per job a client owns
  owners/<client>/pending/<id>         its unfinished jobs

Each marker is an empty file written after the job record (see JobStore for the order),
and all of them can be rebuilt from the records.
"""

import os
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from storage.layout import StateLayout
from storage.status import JobStatus

_ENTRY = re.compile(r"^(\d{20})-(.+)$")
FINAL = tuple(status for status in JobStatus if status.finished)


class JobIndex:
    def __init__(self, layout: StateLayout, valid_id: re.Pattern[str]) -> None:
        self._pending = layout.pending
        self._index = layout.index
        self._finished = {status: layout.finished / status.value for status in FINAL}
        self._owners = layout.owners
        self._valid_id = valid_id
        self._make_folders()

    def _make_folders(self) -> None:
        for folder in (self._pending, self._index, *self._finished.values(), self._owners):
            folder.mkdir(parents=True, exist_ok=True)

    def _owned(self, owner: str) -> Path:
        return self._owners / owner / "all"

    def _owned_pending(self, owner: str) -> Path:
        return self._owners / owner / "pending"

    def add(self, job_id: str, created: datetime, status: JobStatus, owner: str | None) -> None:
        if owner is not None:
            self._owned(owner).mkdir(parents=True, exist_ok=True)
            (self._owned(owner) / _entry(job_id, created)).touch()
        (self._index / _entry(job_id, created)).touch()
        if status.finished:
            (self._finished[status] / _entry(job_id, created)).touch()
            return
        if owner is not None:
            self._owned_pending(owner).mkdir(parents=True, exist_ok=True)
            (self._owned_pending(owner) / job_id).touch()
        (self._pending / job_id).touch()

    def finished(self, job_id: str, created: datetime, status: JobStatus) -> None:
        (self._finished[status] / _entry(job_id, created)).touch()
        self.drop_pending(job_id)

    def drop_pending(self, job_id: str) -> None:
        # The owner's marker first: a job never counts for its client once it stopped
        # counting for the service.
        for marker in self._owners.glob(f"*/pending/{job_id}"):
            marker.unlink(missing_ok=True)
        (self._pending / job_id).unlink(missing_ok=True)

    def remove(self, job_id: str, created: datetime | None) -> None:
        """Drop every marker; without the creation time, the entries are looked up."""
        self.drop_pending(job_id)
        owned = list(self._owners.glob("*/all"))
        for folder in (self._index, *self._finished.values(), *owned):
            if created is not None:
                (folder / _entry(job_id, created)).unlink(missing_ok=True)
            else:
                for entry in folder.glob(f"*-{job_id}"):
                    entry.unlink(missing_ok=True)

    def pending_ids(self, owner: str | None = None) -> list[str]:
        """Unfinished jobs: all of them, or those of the client ``owner``."""
        return [name for name in self._pending_names(owner) if self._valid_id.match(name)]

    def pending_count(self, owner: str | None = None) -> int:
        """How many jobs are unfinished (or the client ``owner``'s): counted on every
        submission and lane ticket, so names are counted, not parsed."""
        return len(self._pending_names(owner))

    def _pending_names(self, owner: str | None) -> list[str]:
        # Only this index writes these folders, and only job ids: no temp files to skip.
        folder = self._pending if owner is None else self._owned_pending(owner)
        try:
            return os.listdir(folder)
        except FileNotFoundError:
            return []

    def newest_first(self, status: JobStatus | None = None, owner: str | None = None) -> list[str]:
        """Ids by creation time, newest first (sorting names, no file is opened): every
        stored job, or those that finished with ``status``, or those ``owner`` owns (both
        filters together: the jobs in both)."""
        ids = self._newest_in(self._index if status is None else self._finished[status])
        if owner is None:
            return ids
        owned = self._newest_in(self._owned(owner))
        if status is None:
            return owned
        wanted = set(ids)
        return [job_id for job_id in owned if job_id in wanted]

    def _newest_in(self, folder: Path) -> list[str]:
        ids = []
        for name in sorted((p.name for p in _listing(folder)), reverse=True):
            found = _ENTRY.match(name)
            if found and self._valid_id.match(found.group(2)):
                ids.append(found.group(2))
        return ids

    def adds_up(self, stored: set[str]) -> bool:
        """Whether every stored job (``stored``: the job folders) has its index entry and is
        either pending or finished once, and no marker names a job that is not stored:
        names are compared, no record is read. A crash between a record and its markers
        breaks this, or leaves a pending marker beside a finished record, which
        ``JobStore.settle_markers`` fixes from the pending records alone."""
        indexed = self._entry_ids(self._index)
        if indexed != stored or len(indexed) != len(_listing(self._index)):
            return False
        pending = set(self.pending_ids())
        finished: set[str] = set()
        count = 0
        for folder in self._finished.values():
            ids = self._entry_ids(folder)
            finished |= ids
            count += len(ids)
        # Each job finished once, and none both pending and finished unless a crash came
        # between those two writes (settled from the pending records).
        return count == len(finished) and (finished | pending) == stored

    def _entry_ids(self, folder: Path) -> set[str]:
        # "<20-digit created ns>-<id>": the id is what follows the 21st character.
        return {name[21:] for name in os.listdir(folder) if _ENTRY.match(name)}

    def rebuild(
        self,
        jobs: Iterable[tuple[str, datetime, JobStatus, str | None]],
        stored: Callable[[str], bool],
    ) -> None:
        """Make the markers agree with (id, created, status, owner) of every stored job.
        Another process may create jobs meanwhile: a marker of a job the scan did not see is
        removed only when ``stored`` says that job is gone."""
        self._make_folders()
        index: set[str] = set()
        pending: set[str] = set()
        finished: dict[JobStatus, set[str]] = {status: set() for status in FINAL}
        owned: dict[Path, set[str]] = {folder: set() for folder in self._owner_folders()}
        seen: set[str] = set()
        for job_id, created, status, owner in jobs:
            seen.add(job_id)
            index.add(_entry(job_id, created))
            if owner is not None:
                owned.setdefault(self._owned(owner), set()).add(_entry(job_id, created))
            if status.finished:
                finished[status].add(_entry(job_id, created))
            else:
                pending.add(job_id)
                if owner is not None:
                    owned.setdefault(self._owned_pending(owner), set()).add(job_id)

        def stale(job_id: str) -> bool:
            return job_id in seen or not stored(job_id)

        _sync(self._index, index, stale)
        _sync(self._pending, pending, stale)
        for status, wanted in finished.items():
            _sync(self._finished[status], wanted, stale)
        for folder, wanted in owned.items():
            folder.mkdir(parents=True, exist_ok=True)
            _sync(folder, wanted, stale)

    def _owner_folders(self) -> list[Path]:
        return [folder for owner in _listing(self._owners) for folder in owner.iterdir()]


def _listing(folder: Path) -> list[Path]:
    # An owner's folders are made with its first job.
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _entry(job_id: str, created: datetime) -> str:
    return f"{int(created.timestamp() * 1e9):020d}-{job_id}"


def _sync(folder: Path, wanted: set[str], stale: Callable[[str], bool]) -> None:
    present = {p.name for p in folder.iterdir()}
    for name in present - wanted:
        entry = _ENTRY.match(name)
        if stale(entry.group(2) if entry else name):
            (folder / name).unlink(missing_ok=True)
    for name in wanted - present:
        (folder / name).touch()
