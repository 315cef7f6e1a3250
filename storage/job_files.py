"""What a job's folder holds besides its record: long certified digits, a long
certificate's bounds, and each chunk's progress, exact value, lock and claims.

``JobStore`` is the one class that reads and writes them (``storage.job_store`` has the
folder's whole layout); they live here so that each module stays one concept.
"""

import contextlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

from pydantic import ValidationError

from storage.atomic import locked, try_locked, write_bytes_atomic
from storage.claims import Claims
from storage.records import ChunkRecord, JobRecord

logger = logging.getLogger(__name__)

# A job's first dispatch, sent when it is submitted.
FIRST_DISPATCH = 1

# A file's (inode, mtime_ns, size): every write replaces a job's files (``os.replace``), so
# a stamp that differs means the file changed, learnt from a stat instead of a read.
Stamp = tuple[int, int, int]


def stamp_of(st: os.stat_result) -> Stamp:
    return st.st_ino, st.st_mtime_ns, st.st_size


# Digits of up to this many characters go in the job record itself, written and fsynced with
# its SUCCESS: a small job then ends with one durable write instead of two, and its record
# grows by a few hundred bytes at most. Longer ones get result.txt, served as it is.
RECORD_RESULT_CHARS = 1_024


class ResultFields(TypedDict):
    """Where a job record finds its digits: in ``result``, or ``result_length`` characters
    in result.txt beside it."""

    result: str | None
    result_length: int | None


class JobFiles(ABC):
    """The files of a job folder other than its record; the store names the folder."""

    @abstractmethod
    def _job_dir(self, job_id: str) -> Path: ...

    @abstractmethod
    def get(self, job_id: str) -> JobRecord: ...

    def _chunk_path(self, job_id: str, index: int, suffix: str) -> Path:
        return self._job_dir(job_id) / "chunks" / f"{index}{suffix}"

    # -- large values ------------------------------------------------------------------------
    # Digits and exact numbers can run to megabytes: past a few hundred bytes they get files
    # of their own, so that reading a job record (listings, sweeps, every poll) never parses
    # them.
    def save_result(self, job_id: str, digits: str) -> ResultFields:
        """Store a job's certified digits; the record fields to write with its SUCCESS,
        which hold short digits themselves."""
        if len(digits) <= RECORD_RESULT_CHARS:
            return ResultFields(result=digits, result_length=None)
        # One line, so the file is served as it is (GET /tasks/{id}/digits, with ranges).
        write_bytes_atomic(self.result_path(job_id), f"{digits}\n".encode("ascii"))
        return ResultFields(result=None, result_length=len(digits))

    def digits(self, job: JobRecord) -> str | None:
        """The job's certified digits, from its record or the file beside it; None if it
        has none (or the file was removed from outside the service)."""
        if job.result_length is None:
            return job.result
        try:
            return self.result_path(job.id).read_text(encoding="ascii").rstrip("\n")
        except FileNotFoundError:
            return None

    def result_path(self, job_id: str) -> Path:
        """Where the digits are (to send the file as it is; only the store writes it)."""
        return self._job_dir(job_id) / "result.txt"

    def save_bounds(self, job_id: str, lower: str, upper: str) -> None:
        """A certificate's full bounds, when too long for the record (Certificate.bounds_cut)."""
        text = f"{lower}\n{upper}\n"
        write_bytes_atomic(self._job_dir(job_id) / "bounds.txt", text.encode("ascii"))

    def bounds(self, job_id: str) -> tuple[str, str] | None:
        """The full (lower, upper) saved by ``save_bounds``, if any."""
        try:
            text = (self._job_dir(job_id) / "bounds.txt").read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        lower, _, upper = text.rstrip("\n").partition("\n")
        return lower, upper

    def save_chunk_value(self, job_id: str, index: int, data: bytes) -> None:
        """A chunk's exact result, too big for its progress record (recomputable, so not
        fsynced)."""
        write_bytes_atomic(self._chunk_path(job_id, index, ".bin"), data, durable=False)

    def chunk_value(self, job_id: str, index: int) -> bytes | None:
        try:
            return self._chunk_path(job_id, index, ".bin").read_bytes()
        except FileNotFoundError:
            return None

    # -- chunks ------------------------------------------------------------------------------
    def save_chunk(self, job_id: str, record: ChunkRecord) -> None:
        # Not fsynced: a checkpoint lost to a power cut (or left empty, which reads as not
        # started) only costs recomputing terms, and the job record that holds the answer is.
        path = self._chunk_path(job_id, record.index, ".json")
        write_bytes_atomic(path, record.model_dump_json().encode(), durable=False)

    def get_chunk(self, job_id: str, index: int) -> ChunkRecord | None:
        path = self._chunk_path(job_id, index, ".json")
        try:
            return ChunkRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError as exc:
            # Chunk files are written atomically, so this is damage from outside; the
            # chunk is treated as not started and is recomputed if it runs again.
            logger.warning("ignoring unreadable %s: %s", path, first_error(exc))
            return None

    def chunks(self, job_id: str) -> dict[int, ChunkRecord]:
        folder = self._job_dir(job_id) / "chunks"
        found: dict[int, ChunkRecord] = {}
        with contextlib.suppress(FileNotFoundError):
            for path in folder.glob("*.json"):
                if path.stem.isdigit():
                    record = self.get_chunk(job_id, int(path.stem))
                    if record is not None:
                        found[record.index] = record
        return found

    def chunk_stamps(self, job_id: str) -> dict[int, Stamp]:
        """Each chunk file's stamp, from a listing and a stat per file (none is read)."""
        stamps: dict[int, Stamp] = {}
        folder = self._job_dir(job_id) / "chunks"
        with contextlib.suppress(FileNotFoundError), os.scandir(folder) as it:
            for entry in it:
                stem, dot, suffix = entry.name.partition(".")
                if suffix == "json" and dot and stem.isdigit():
                    with contextlib.suppress(FileNotFoundError):
                        stamps[int(stem)] = stamp_of(entry.stat())
        return stamps

    @contextlib.contextmanager
    def chunk_lock(self, job_id: str, index: int) -> Iterator[None]:
        """Serialise the tasks computing one chunk (a redelivered or re-dispatched duplicate)."""
        with locked(self._chunk_path(job_id, index, ".lock")):
            yield

    def claims(self, job_id: str, dispatch: int) -> Claims:
        """The claim book of the job's dispatch number ``dispatch``. The first dispatch's
        covers the first round's chunks, which the record holds, so it opens itself at its
        first claim and a submission writes one file less (``open`` it for later ones)."""

        def finished(index: int) -> bool:
            record = self.get_chunk(job_id, index)
            return record is not None and record.finished

        return Claims(
            self._job_dir(job_id) / "claims" / f"d{dispatch}.json",
            lambda index: self._chunk_path(job_id, index, ".lock"),
            finished,
            (lambda: first_round(self.get(job_id))) if dispatch == FIRST_DISPATCH else None,
        )

    def chunk_running(self, job_id: str, index: int) -> bool:
        """True while a live process holds the chunk's lock (the kernel drops a dead one's)."""
        with try_locked(self._chunk_path(job_id, index, ".lock")) as acquired:
            return not acquired


def first_round(job: JobRecord) -> list[int]:
    """The chunks of the job's first dispatch, whose claim book opens itself with them."""
    return [spec.index for spec in job.chunks if spec.round == 1]


def first_error(exc: ValidationError) -> str:
    """The first complaint of a record that does not validate, for a log or an error."""
    errors = exc.errors()
    return errors[0]["msg"] if errors else str(exc)
