"""Running one chunk of a job, whatever its method: claim it, resume it, checkpoint it,
finish it.

A chunk resumes from its last checkpoint when it is delivered again after a crash, and a
duplicate delivery waits on the chunk's lock, then returns the stored result: the work is
idempotent and the progress file has one writer at a time. It waits even for a delivery of
the very same message: that one is usually being cut off (RabbitMQ redelivers only after the
first delivery's channel closed), and the lane must not end with it.
"""

import os
import time
from collections.abc import Callable

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


def run_chunk(
    store: JobStore,
    job_id: str,
    spec: ChunkSpec,
    compute: ChunkCompute,
    *,
    worker: str,
    checkpoint_seconds: float,
    task_id: str | None = None,
) -> ChunkRecord:
    if store.cancel_requested(job_id):
        raise ChunkCancelledError(job_id)
    with store.chunk_lock(job_id, spec.index):
        record = store.get_chunk(job_id, spec.index) or ChunkRecord(
            index=spec.index, start=spec.start, stop=spec.stop
        )
        if record.finished:
            return record
        record = record.model_copy(
            update={
                "status": JobStatus.PROGRESS,
                "attempts": record.attempts + 1,
                "worker": worker,
                "pid": os.getpid(),
                "task_id": task_id,
                "starttime": record.starttime or utcnow(),
                "updatetime": utcnow(),
                "error": None,
            }
        )
        store.save_chunk(job_id, record)
        return compute(record, Checkpoints(store, job_id, checkpoint_seconds))
