"""Compute one chunk of the series, checkpointing to the job store as it goes.

A chunk resumes from its last checkpoint when it is delivered again after a crash, and a
duplicate delivery waits on the chunk's lock, then returns the stored result: the work is
idempotent and the progress file has one writer at a time.
"""

import os
import time
from dataclasses import dataclass
from typing import Any

from pipeline.leibniz import PartialSum, SumAccumulator, blocks, pairs_sum
from storage import ChunkRecord, ChunkSpec, JobStatus, JobStore
from storage.records import utcnow


class ChunkCancelledError(Exception):
    """The job was cancelled; the chunk stopped at a checkpoint."""


@dataclass(frozen=True)
class ChunkResult:
    index: int
    start: int
    stop: int
    value: float
    error_bound: float

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": self.start,
            "stop": self.stop,
            "value": self.value,
            "error_bound": self.error_bound,
        }

    @classmethod
    def from_record(cls, record: ChunkRecord) -> "ChunkResult":
        return cls(record.index, record.start, record.stop, record.partial, record.error_bound)


def run_chunk(
    store: JobStore,
    job_id: str,
    spec: ChunkSpec,
    *,
    worker: str,
    checkpoint_seconds: float,
) -> ChunkResult:
    if store.cancel_requested(job_id):
        raise ChunkCancelledError(job_id)
    with store.chunk_lock(job_id, spec.index):
        record = store.get_chunk(job_id, spec.index) or ChunkRecord(
            index=spec.index, start=spec.start, stop=spec.stop
        )
        if record.finished:
            return ChunkResult.from_record(record)
        record = record.model_copy(
            update={
                "status": JobStatus.PROGRESS,
                "attempts": record.attempts + 1,
                "worker": worker,
                "pid": os.getpid(),
                "starttime": record.starttime or utcnow(),
                "updatetime": utcnow(),
                "error": None,
            }
        )
        store.save_chunk(job_id, record)
        return _compute(store, job_id, record, checkpoint_seconds)


def _compute(
    store: JobStore, job_id: str, record: ChunkRecord, checkpoint_seconds: float
) -> ChunkResult:
    resumed = PartialSum(record.partial, record.error_bound) if record.terms_done else None
    acc = SumAccumulator(resumed)
    done = record.terms_done
    last_checkpoint = time.monotonic()
    for a, b in blocks(record.start + done, record.stop):
        acc.add(pairs_sum(a // 2, b // 2))
        done = b - record.start
        if time.monotonic() - last_checkpoint >= checkpoint_seconds and b < record.stop:
            total = acc.total()
            record = record.model_copy(
                update={
                    "terms_done": done,
                    "partial": total.value,
                    "error_bound": total.error_bound,
                    "updatetime": utcnow(),
                }
            )
            store.save_chunk(job_id, record)
            last_checkpoint = time.monotonic()
            if store.cancel_requested(job_id):
                store.save_chunk(job_id, record.model_copy(update={"status": JobStatus.REVOKED}))
                raise ChunkCancelledError(job_id)
    total = acc.total()
    now = utcnow()
    record = record.model_copy(
        update={
            "status": JobStatus.SUCCESS,
            "terms_done": record.stop - record.start,
            "partial": total.value,
            "error_bound": total.error_bound,
            "updatetime": now,
            "stoptime": now,
        }
    )
    store.save_chunk(job_id, record)
    return ChunkResult.from_record(record)
