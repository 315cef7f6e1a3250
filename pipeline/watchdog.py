"""Re-dispatch jobs whose chunks stopped making progress.

On RabbitMQ a chunk lost with its worker is redelivered by the broker. The embedded broker
keeps unacknowledged messages only in the worker's memory, so they vanish with it; this
sweep finds a job none of whose unfinished chunks has checkpointed for ``stall_seconds`` and
sends those chunks again as a new chord. Duplicates are harmless: a chunk resumes from its
checkpoint (or returns its stored result) and the reducer acts once.
"""

import contextlib
import logging
from datetime import datetime, timedelta

from pipeline.canvas import DispatchError, dispatch
from pipeline.celery_app import PichordCelery
from storage import CorruptRecordError, JobRecord, JobStore
from storage.records import ChunkRecord, utcnow

logger = logging.getLogger(__name__)


def last_activity(job: JobRecord, chunks: dict[int, ChunkRecord]) -> datetime:
    times = [c.updatetime for c in chunks.values() if c.updatetime is not None]
    times.append(job.dispatched_at or job.pushqtime)
    return max(times)


def stalled_jobs(store: JobStore, stall_seconds: float, now: datetime) -> list[JobRecord]:
    found = []
    for job_id, job in store.records():
        if isinstance(job, CorruptRecordError) or job.status.finished:
            continue
        if now - last_activity(job, store.chunks(job_id)) > timedelta(seconds=stall_seconds):
            found.append(job)
    return found


def redispatch_stalled(app: PichordCelery, store: JobStore) -> list[str]:
    """One sweep; returns the ids of the jobs sent again. Only one process sweeps at a time."""
    with store.sweep_lock() as acquired:
        if not acquired:
            return []  # another API process is sweeping right now
        sent = []
        for job in stalled_jobs(store, app.settings.stall_seconds, utcnow()):
            chunks = store.chunks(job.id)
            # All chunks done but no result means the reducer was lost: an empty chord
            # header sends the body straight away.
            unfinished = [s for s in job.chunks if not _finished(chunks.get(s.index))]
            with contextlib.suppress(DispatchError):
                number = dispatch(app, store, job.id, unfinished)
                logger.warning(
                    "job %s stalled; dispatched %d chunks again (dispatch %d)",
                    job.id,
                    len(unfinished),
                    number,
                )
                sent.append(job.id)
        return sent


def _finished(record: ChunkRecord | None) -> bool:
    return record is not None and record.finished
