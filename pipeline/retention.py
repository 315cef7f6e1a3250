"""Remove finished jobs older than PICHORD_RETENTION_DAYS, with their Celery results, and
the audit log's days that ended before then; and idempotency keys older than
PICHORD_IDEMPOTENCY_HOURS.

Run by the `pichord.cleanup` task, which Celery beat sends every PICHORD_CLEANUP_SECONDS.
Removing is idempotent, so two beats (two API containers) do no harm.
"""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.canvas import reduce_task_id
from pipeline.celery_config import PichordCelery
from pipeline.lanes import head_ticket_id
from storage import CorruptRecordError, JobNotFoundError, JobRecord, JobStore
from storage.audit import AuditLog
from storage.idempotency import IdempotencyKeys
from storage.layout import StateLayout
from storage.records import utcnow

logger = logging.getLogger(__name__)


# Jobs whose results are forgotten with one listing of the results folder.
REMOVAL_BATCH = 2_000


def _batches(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def finished_before(job: JobRecord, cutoff: datetime) -> bool:
    return job.status.finished and (job.stoptime or job.pushqtime) < cutoff


def forget_results(app: PichordCelery, jobs: list[JobRecord]) -> None:
    """The jobs' task and chord results in whichever result backend is configured. Every
    task, group and chord id of a job starts with the job's id; a backend that cannot remove
    by that prefix forgets the ids known in advance and lets its own expiry take the lane
    tickets'."""
    forget_jobs = getattr(app.backend, "forget_jobs", None)
    if forget_jobs is not None:
        forget_jobs({job.id for job in jobs})
        return
    forget_prefix = getattr(app.backend, "forget_prefix", None)
    for job in jobs:
        if forget_prefix is not None:
            forget_prefix(f"{job.id}.")
        _forget_known_ids(app, job)


def _forget_known_ids(app: PichordCelery, job: JobRecord) -> None:
    for dispatch in range(1, job.dispatches + 1):
        for lane in range(app.settings.job_lanes):
            app.backend.forget(head_ticket_id(job.id, dispatch, lane))
        app.backend.forget(reduce_task_id(job.id, dispatch))
        # Celery files the chord's group under the body's id; the header keeps its own.
        for group_id in (f"{job.id}.d{dispatch}", reduce_task_id(job.id, dispatch)):
            app.backend.delete_group(group_id)


def remove_expired(app: PichordCelery, store: JobStore, now: datetime | None = None) -> list[str]:
    """Delete every finished job that ended before now - retention, and the audit log's
    days before then; returns the jobs' ids. Unreadable records go by their folder's age
    (nothing will ever finish them)."""
    cutoff = (now or utcnow()) - timedelta(days=app.settings.retention_days)
    removed = []
    # Only jobs created before the cutoff can have finished before it: the index names
    # them, and no younger record is read.
    for batch in _batches(store.created_before(cutoff), REMOVAL_BATCH):
        expired = []
        for job_id in batch:
            try:
                job = store.get(job_id)
            except JobNotFoundError:
                continue
            except CorruptRecordError:
                if datetime.fromtimestamp(store.created_at(job_id), UTC) < cutoff:
                    store.delete(job_id)
                    removed.append(job_id)
                continue
            if finished_before(job, cutoff):
                expired.append(job)
        forget_results(app, expired)
        # In this thread: removals from a pool of threads took 1.6 times as long, each
        # call handing the interpreter lock over (docs/operations/job-store.md).
        for job in expired:
            store.delete(job.id, job)
        removed.extend(job.id for job in expired)
    store.prune_index()
    if removed:
        logger.info("removed %d jobs finished before %s", len(removed), cutoff.isoformat())
    remove_old_audit(app, cutoff)
    forget_expired_keys(app, now or utcnow())
    return removed


def forget_expired_keys(app: PichordCelery, now: datetime) -> int:
    keys = IdempotencyKeys(
        StateLayout(app.settings.state_dir).idempotency, app.settings.idempotency_lifetime
    )
    removed = keys.remove_expired(now)
    if removed:
        logger.info("forgot %d idempotency keys older than their time", removed)
    return removed


def remove_old_audit(app: PichordCelery, cutoff: datetime) -> list[Path]:
    """Delete the audit log's day files whose every line is older than ``cutoff``: the
    cutoff's own day is kept whole."""
    day = cutoff.astimezone(UTC).date()  # the day files are named by UTC date
    removed = AuditLog(StateLayout(app.settings.state_dir).audit).remove_before(day)
    if removed:
        logger.info("removed %d audit day files before %s", len(removed), day)
    return removed
