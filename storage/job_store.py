"""The job store: one folder per job, a job record, one progress file per chunk.

Layout of ``jobs/<id>/`` (the store alone builds these paths):
  job.json          the job record; changed only under ``job.lock``
  chunks/<n>.json   progress of chunk n; one writer, the task computing it
  chunks/<n>.lock   held while a task computes chunk n, so a duplicate waits
  cancel            present once a cancel was requested; chunks poll for it
  claims/d<n>.json  which chunks of dispatch n lane tickets took (``storage.claims``;
                    the first dispatch's is written by its first claim)
  result.txt, bounds.txt, chunks/<n>.bin   large values (``storage.job_files``)
and the markers of ``storage.job_index`` (pending jobs, creation order).

Write order: the job folder with job.json (written aside and renamed into place), then the
markers; when a job finishes, its completion webhook (``storage.webhooks``, if it has one),
job.json, then its pending marker is removed; a job is deleted markers first, then its
folder. A crash between two writes leaves a readable job whose marker is at worst missing
(restored by ``rebuild_index`` when the API starts) or stale (dropped by the stall sweep,
which reads every pending job old enough to have stalled, or ignored by readers when the
job folder is gone).
Every file is replaced atomically, so a reader never sees a partial write.
"""

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import ValidationError

from storage.admission import Admission, AdmitFn
from storage.atomic import locked, try_locked, write_bytes_atomic
from storage.index_upkeep import IndexUpkeep
from storage.job_errors import CorruptRecordError, JobNotFoundError
from storage.job_files import JobFiles, Stamp, first_error, stamp_of
from storage.job_index import JobIndex
from storage.job_listing import JobListing
from storage.layout import StateLayout
from storage.records import JobRecord
from storage.removal import remove_tree
from storage.room import (
    BelowReserveError,
    Reserve,
    Room,
    WriteRefusedError,
    below_reserve,
    is_disk_full,
)
from storage.staging import StagedFolder, staged
from storage.webhooks import WebhookQueue

# Canonical lowercase UUIDs only: nothing else ever becomes part of a path.
_JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class JobStore(JobFiles, JobListing, IndexUpkeep):
    def __init__(self, state_dir: Path) -> None:
        self.layout = StateLayout(state_dir)
        self.layout.jobs.mkdir(parents=True, exist_ok=True)
        self.index = JobIndex(self.layout, _JOB_ID)
        self.webhooks = WebhookQueue(self.layout.webhooks)
        self.admission = Admission(self.layout.locks, self.index.pending_count)

    # -- paths -------------------------------------------------------------------------------
    def _job_dir(self, job_id: str) -> Path:
        if not _JOB_ID.match(job_id):
            raise JobNotFoundError(job_id)
        return self.layout.jobs / job_id

    # -- jobs --------------------------------------------------------------------------------
    def create(self, job: JobRecord, admit: AdmitFn | None = None) -> None:
        """Store a new job. With ``admit``, the job is stored only if ``admit`` accepts the
        number of unfinished jobs (it raises to refuse; see ``storage.admission``), and no
        other admitted creation runs meanwhile.

        The folder is written aside (``.<id>.new``, which nothing lists) with its record
        fsynced, then renamed into place, and only then admitted: concurrent submissions
        wait on one another only for the check and the markers that admission counts, never
        for a disk flush, a rename in the big jobs folder or the listing entries. A job
        refused there, or whose admission fails, is moved aside again and removed. (A crash
        before its markers leaves a job the API's next start lists again: its markers no
        longer add up with the job folders.)"""
        job_dir = self._job_dir(job.id)
        try:
            with staged(self.layout.jobs, job.id) as folder:
                (folder.path / "chunks").mkdir()
                write_bytes_atomic(folder.path / "job.json", job.model_dump_json(indent=1).encode())
                folder.move_to(job_dir)
                self._take(job, admit, folder)
        except OSError as exc:
            if is_disk_full(exc):
                raise WriteRefusedError(exc) from exc
            raise

    def _take(self, job: JobRecord, admit: AdmitFn | None, folder: StagedFolder) -> None:
        """Admit the job moved into place and list it; or, if either is refused or fails
        part way (a full disk), take it out again: the job was not taken, so neither its
        folder nor a marker stays (those an API start may have made meanwhile, finding the
        folder without markers, included). Undoing only unlinks and renames, which a full
        disk allows."""
        try:
            if admit is not None:
                with self.admission.held() as held:
                    checked = held.check(admit)
                    if not job.status.finished:
                        self.index.mark_pending(job.id, job.owner)
                        held.admitted(checked)
            elif not job.status.finished:
                self.index.mark_pending(job.id, job.owner)
                self.admission.forget()
            self.index.add_entries(job.id, job.pushqtime, job.status, job.owner)
        except BaseException:
            self.index.remove_known(job.id, job.pushqtime, job.status, job.owner)
            folder.move_back()
            raise

    def room_below(self, reserve: Reserve) -> Room | None:
        """The room left on the state dir's file system when it is less than ``reserve``,
        which new jobs leave to the jobs already running; None when there is more."""
        return below_reserve(self.layout.root, reserve)

    def check_room(self, reserve: Reserve) -> None:
        """``room_below`` for a submission: BelowReserveError when there is too little room."""
        room = self.room_below(reserve)
        if room is not None:
            raise BelowReserveError(room, reserve)

    def exists(self, job_id: str) -> bool:
        try:
            return (self._job_dir(job_id) / "job.json").is_file()
        except JobNotFoundError:
            return False

    def record_path(self, job_id: str) -> Path:
        """Where the job's record is (for a stat; only the store reads or writes it)."""
        return self._job_dir(job_id) / "job.json"

    def record_stamp(self, job_id: str) -> Stamp | None:
        """The record's stamp; None when the job has no record."""
        try:
            return stamp_of(self.record_path(job_id).stat())
        except (FileNotFoundError, JobNotFoundError):
            return None

    def get(self, job_id: str) -> JobRecord:
        path = self.record_path(job_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise JobNotFoundError(job_id) from None
        try:
            return JobRecord.model_validate_json(data)
        except ValidationError as exc:
            raise CorruptRecordError(job_id, path, first_error(exc)) from exc

    def update(self, job_id: str, change: Callable[[JobRecord], JobRecord | None]) -> JobRecord:
        """Apply ``change`` under the job's lock; returning None leaves the record as it is."""
        job_dir = self._job_dir(job_id)
        if not job_dir.is_dir():
            raise JobNotFoundError(job_id)
        with locked(job_dir / "job.lock"):
            current = self.get(job_id)
            changed = change(current.model_copy(deep=True))
            if changed is None:
                return current
            if changed.callback_url and changed.status.finished and not current.status.finished:
                # Before the ending: a crash between the two leaves a webhook waiting for
                # its job to end, never an ended job without its webhook.
                self.webhooks.add(job_id, changed.callback_url)
            write_bytes_atomic(job_dir / "job.json", changed.model_dump_json(indent=1).encode())
            if changed.status.finished:
                self.index.finished(job_id, changed.pushqtime, changed.status, changed.owner)
            return changed

    def ids(self) -> list[str]:
        """Every stored job id (folders that are not job ids are ignored)."""
        # Names, not paths: an API start lists 100,000 of them.
        return [name for name in os.listdir(self.layout.jobs) if _JOB_ID.match(name)]

    def records(self) -> Iterator[tuple[str, JobRecord | CorruptRecordError]]:
        """Every stored job's record, or the reason it cannot be read; vanished jobs are skipped."""
        for job_id in self.ids():
            try:
                yield job_id, self.get(job_id)
            except CorruptRecordError as exc:
                yield job_id, exc
            except JobNotFoundError:
                continue

    def delete(self, job_id: str, record: JobRecord | None = None) -> None:
        """Remove a job and everything stored for it (retention); ``record``: its record as
        the caller just read it, so that it is not read again."""
        job_dir = self._job_dir(job_id)
        try:
            job = record or self.get(job_id)
        except CorruptRecordError:
            self.index.remove(job_id, None)
        else:
            self.index.remove_known(job_id, job.pushqtime, job.status, job.owner)
        remove_tree(job_dir)

    def created_at(self, job_id: str) -> float:
        """When the job folder was made (POSIX time); known even if job.json is unreadable."""
        return self._job_dir(job_id).stat().st_mtime

    @contextlib.contextmanager
    def sweep_lock(self) -> Iterator[bool]:
        """Held by the one process that scans all jobs (the stall sweep); False if taken."""
        self.layout.locks.mkdir(parents=True, exist_ok=True)
        with try_locked(self.layout.locks / "sweep.lock") as acquired:
            yield acquired

    def writable(self) -> str | None:
        """None when the state dir accepts an atomic write, else why not."""
        try:
            self.layout.locks.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.layout.locks / "ready-probe", b"ok")
        except OSError as exc:
            return f"state dir {self.layout.root} is not writable: {exc}"
        return None

    # -- cancellation ------------------------------------------------------------------------
    def request_cancel(self, job_id: str) -> None:
        (self._job_dir(job_id) / "cancel").touch()

    def cancel_requested(self, job_id: str) -> bool:
        return (self._job_dir(job_id) / "cancel").exists()
