"""Running one chunk of a job, whatever its method: resume it, checkpoint it, finish it.

The chunk's lock gives its progress file one writer at a time. A lane ticket holds it from
its claim (``storage.claims``); a message naming its chunk (sent before lane tickets
existed) waits for it, then returns the stored result if a duplicate finished the chunk
meanwhile. A chunk claimed again after its claimer died resumes from its last checkpoint.
"""

import os
import time
from collections.abc import Callable
from typing import Required, TypedDict, Unpack

from storage import ChunkRecord, ChunkSpec, JobStatus, JobStore
from storage.records import utcnow


class ChunkCancelledError(Exception):
    """The job was cancelled; the chunk stopped at a checkpoint."""


class Checkpoints:
    """Saves a running chunk's progress every ``seconds`` and stops it once the job is
    cancelled."""

    def __init__(self, store: JobStore, job_id: str, seconds: float) -> None:
        self._store = store
        self._job_id = job_id
        self._seconds = seconds
        self._last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self._seconds

    def save(self, record: ChunkRecord) -> ChunkRecord:
        record = record.model_copy(update={"updatetime": utcnow()})
        self._store.save_chunk(self._job_id, record)
        self._last = time.monotonic()
        if self._store.cancel_requested(self._job_id):
            self._store.save_chunk(
                self._job_id, record.model_copy(update={"status": JobStatus.REVOKED})
            )
            raise ChunkCancelledError(self._job_id)
        return record

    def finish(self, record: ChunkRecord) -> ChunkRecord:
        now = utcnow()
        record = record.model_copy(
            update={
                "status": JobStatus.SUCCESS,
                "terms_done": record.stop - record.start,
                "updatetime": now,
                "stoptime": now,
            }
        )
        self._store.save_chunk(self._job_id, record)
        return record


# Computes a claimed chunk from its (possibly resumed) record to its finished record.
ChunkCompute = Callable[[ChunkRecord, Checkpoints], ChunkRecord]


class RunOptions(TypedDict, total=False):
    """Who runs a chunk, how often it checkpoints, and what its record notes of the task."""

    worker: Required[str]
    checkpoint_seconds: Required[float]
    task_id: str | None
    # How long the lane ticket waited in the queue before it claimed the chunk.
    queue_seconds: float | None


def run_chunk(
    store: JobStore,
    job_id: str,
    spec: ChunkSpec,
    compute: ChunkCompute,
    **options: Unpack[RunOptions],
) -> ChunkRecord:
    """Take the chunk's lock (waiting for a duplicate that holds it), then compute it."""
    if store.cancel_requested(job_id):
        raise ChunkCancelledError(job_id)
    with store.chunk_lock(job_id, spec.index):
        return run_claimed_chunk(store, job_id, spec, compute, **options)


def run_claimed_chunk(
    store: JobStore,
    job_id: str,
    spec: ChunkSpec,
    compute: ChunkCompute,
    *,
    worker: str,
    checkpoint_seconds: float,
    task_id: str | None = None,
    queue_seconds: float | None = None,
) -> ChunkRecord:
    """Compute a chunk whose lock the caller holds: resume it, or return it if finished."""
    if store.cancel_requested(job_id):
        raise ChunkCancelledError(job_id)
    record = store.get_chunk(job_id, spec.index) or ChunkRecord(
        index=spec.index, start=spec.start, stop=spec.stop
    )
    if record.finished:
        return record
    now = utcnow()
    record = record.model_copy(
        update={
            "status": JobStatus.PROGRESS,
            "attempts": record.attempts + 1,
            "worker": worker,
            "pid": os.getpid(),
            "task_id": task_id,
            "queue_seconds": queue_seconds,
            "attempt_start": now,
            "starttime": record.starttime or now,
            "updatetime": now,
            "error": None,
        }
    )
    store.save_chunk(job_id, record)
    return compute(record, Checkpoints(store, job_id, checkpoint_seconds))
