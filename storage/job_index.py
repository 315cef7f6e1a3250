"""Markers beside the job folders, so nothing has to read every stored job to answer
"which jobs are unfinished?", "which are newest?" or "which ended with this status?".

  pending/<id>                                 from creation until the record is finished
  index/<hour>/<created ns>-<id>               one per stored job
  finished/<STATUS>/<hour>/<created ns>-<id>   one per finished job, under its final status
  owners/<client>/all/<hour>/<created ns>-<id>  one per job a client owns
  owners/<client>/pending/<id>                 its unfinished jobs

Entries are split by the hour the job was created (``storage.hour_buckets``), so that the
newest page of a big store lists a bucket or two. Each marker is an empty file written after
the job record (see JobStore for the order), and all of them can be rebuilt from the records.
"""

import contextlib
import os
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from storage.atomic import make_marker
from storage.hour_buckets import ENTRY, HourBuckets
from storage.layout import StateLayout
from storage.status import JobStatus

FINAL = tuple(status for status in JobStatus if status.finished)


class JobIndex:
    def __init__(self, layout: StateLayout, valid_id: re.Pattern[str]) -> None:
        self._pending = layout.pending
        self._index = HourBuckets(layout.index)
        self._finished = {s: HourBuckets(layout.finished / s.value) for s in FINAL}
        self._owners = layout.owners
        self._owned_buckets: dict[str, HourBuckets] = {}
        self._valid_id = valid_id
        self._make_folders()

    def _make_folders(self) -> None:
        folders = (self._index.folder, *(b.folder for b in self._finished.values()))
        for folder in (self._pending, self._owners, *folders):
            folder.mkdir(parents=True, exist_ok=True)

    def _owned(self, owner: str) -> HourBuckets:
        if owner not in self._owned_buckets:
            self._owned_buckets[owner] = HourBuckets(self._owners / owner / "all")
        return self._owned_buckets[owner]

    def _owned_pending(self, owner: str) -> Path:
        return self._owners / owner / "pending"

    def mark_pending(self, job_id: str, owner: str | None) -> None:
        """The markers admission counts: the service's, and the job's client's."""
        # Under the admission lock: each system call here may wait for the GIL, so each
        # marker is made by one, and the client's folder only when it is missing.
        if owner is not None:
            make_marker(self._owned_pending(owner) / job_id, make_folder=True)
        make_marker(self._pending / job_id)

    def add_entries(
        self, job_id: str, created: datetime, status: JobStatus, owner: str | None
    ) -> None:
        """The listing entries: creation order, its client's, and its status if finished."""
        if owner is not None:
            self._owned(owner).add(job_id, created)
        self._index.add(job_id, created)
        if status.finished:
            self._finished[status].add(job_id, created)

    def finished(
        self, job_id: str, created: datetime, status: JobStatus, owner: str | None
    ) -> None:
        self._finished[status].add(job_id, created)
        # The owner's marker first, as in drop_pending; knowing the owner, nothing is listed.
        if owner is not None:
            (self._owned_pending(owner) / job_id).unlink(missing_ok=True)
        (self._pending / job_id).unlink(missing_ok=True)

    def drop_pending(self, job_id: str) -> None:
        # The owner's marker first: a job never counts for its client once it stopped
        # counting for the service.
        for marker in self._owners.glob(f"*/pending/{job_id}"):
            marker.unlink(missing_ok=True)
        (self._pending / job_id).unlink(missing_ok=True)

    def remove_known(
        self, job_id: str, created: datetime, status: JobStatus, owner: str | None
    ) -> None:
        """Drop the markers of a job whose record was read: only the entries those facts
        name are removed, with no folder listed (retention removes thousands at a time)."""
        if owner is not None:
            (self._owned_pending(owner) / job_id).unlink(missing_ok=True)
            self._owned(owner).remove(job_id, created)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{self._pending}/{job_id}")
        self._index.remove(job_id, created)
        if status.finished:
            self._finished[status].remove(job_id, created)

    def remove(self, job_id: str, created: datetime | None) -> None:
        """Drop every marker; without the creation time, the entries are looked up."""
        self.drop_pending(job_id)
        owned = [HourBuckets(folder) for folder in self._owners.glob("*/all")]
        for buckets in (self._index, *self._finished.values(), *owned):
            buckets.remove(job_id, created)

    def created_before(self, moment: datetime) -> list[str]:
        """Ids of the stored jobs created before ``moment`` (listing only older hours)."""
        return self._index.created_before(moment)

    def prune(self) -> None:
        """Remove the hour folders that removals emptied."""
        owned = [HourBuckets(folder) for folder in self._owners.glob("*/all")]
        for buckets in (self._index, *self._finished.values(), *owned):
            buckets.prune()

    def pending_ids(self, owner: str | None = None) -> list[str]:
        """Unfinished jobs: all of them, or those of the client ``owner``."""
        return [name for name in self._pending_names(owner) if self._valid_id.match(name)]

    def pending_marked_before(self, moment: datetime) -> list[str]:
        """Unfinished jobs whose marker was made before ``moment``: a stat each, no record
        read. A marker is made just after its job's record, so a job whose marker is newer
        than ``moment`` was created after it (give or take the write between the two)."""
        cutoff = moment.timestamp()
        found = []
        with os.scandir(self._pending) as entries:
            for entry in entries:
                try:
                    made = entry.stat().st_mtime
                except FileNotFoundError:
                    continue  # finished meanwhile
                if made < cutoff and self._valid_id.match(entry.name):
                    found.append(entry.name)
        return found

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
        ids = self._listed(status, owner).ids()
        if owner is None or status is None:
            return ids
        wanted = set(self._finished[status].ids())
        return [job_id for job_id in ids if job_id in wanted]

    def page(
        self, status: JobStatus | None, owner: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        """One page of ``newest_first`` and the number of ids in all, listing only the
        buckets the page covers (both filters together list the owner's every job)."""
        if owner is not None and status is not None:
            ids = self.newest_first(status, owner)
            return ids[offset : offset + limit], len(ids)
        buckets = self._listed(status, owner)
        return buckets.page(offset, limit), buckets.total()

    def _listed(self, status: JobStatus | None, owner: str | None) -> HourBuckets:
        if owner is not None:
            return self._owned(owner)
        return self._index if status is None else self._finished[status]

    def adds_up(self, stored: set[str]) -> bool:
        """Whether every stored job (``stored``: the job folders) has its index entry and is
        either pending or finished once, and no marker names a job that is not stored:
        names are compared, no record is read. A crash between a record and its markers
        breaks this, or leaves a pending marker beside a finished record, which
        ``JobStore.settle_markers`` fixes from the pending records alone."""
        entries = list(self._index.entries())
        done = [entry for b in self._finished.values() for entry in b.entries()]
        if any("/" not in entry for entry in (*entries, *done)):
            return False  # the flat layout of an earlier version: moved by a rebuild
        indexed = _ids(entries)
        if len(indexed) != len(set(indexed)) or set(indexed) != stored:
            return False
        pending = set(self.pending_ids())
        finished = _ids(done)
        # Each job finished once, and none both pending and finished unless a crash came
        # between those two writes (settled from the pending records).
        return len(finished) == len(set(finished)) and set(finished) | pending == stored

    def rebuild(
        self,
        jobs: Iterable[tuple[str, datetime, JobStatus, str | None]],
        stored: Callable[[str], bool],
    ) -> None:
        """Make the markers agree with (id, created, status, owner) of every stored job.
        Another process may create jobs meanwhile: a marker of a job the scan did not see is
        removed only when ``stored`` says that job is gone."""
        self._make_folders()
        owner_folders = [f for owner in _listing(self._owners) for f in _listing(owner)]
        wanted: dict[Path, set[str]] = {folder: set() for folder in owner_folders}
        for buckets in (self._index, *self._finished.values()):
            wanted[buckets.folder] = set()
        wanted[self._pending] = set()
        seen: set[str] = set()
        for job_id, created, status, owner in jobs:
            seen.add(job_id)
            wanted[self._index.folder].add(self._index.relative(job_id, created))
            if owner is not None:
                owned = self._owned(owner)
                wanted.setdefault(owned.folder, set()).add(owned.relative(job_id, created))
            if status.finished:
                done = self._finished[status]
                wanted[done.folder].add(done.relative(job_id, created))
            else:
                wanted[self._pending].add(job_id)
                if owner is not None:
                    wanted.setdefault(self._owned_pending(owner), set()).add(job_id)

        def stale(job_id: str) -> bool:
            return job_id in seen or not stored(job_id)

        for folder, names in wanted.items():
            folder.mkdir(parents=True, exist_ok=True)
            present = set(_present(folder))
            for name in present - names:
                found = ENTRY.match(Path(name).name)
                if stale(found.group(2) if found else Path(name).name):
                    (folder / name).unlink(missing_ok=True)
            for name in names - present:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).touch()


def _ids(entries: Iterable[str]) -> list[str]:
    # "<hour>/<20-digit created ns>-<id>": the id is what follows the name's 21st character.
    return [entry.rpartition("/")[2][21:] for entry in entries]


def _present(folder: Path) -> Iterable[str]:
    """Markers in a folder: bucketed entries, flat entries of earlier versions, or ids."""
    if folder.name == "pending":
        return os.listdir(folder)
    return HourBuckets(folder).entries()


def _listing(folder: Path) -> list[Path]:
    # An owner's folders are made with its first job.
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []
