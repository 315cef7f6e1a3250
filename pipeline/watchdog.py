"""Re-dispatch jobs whose chunks stopped making progress.

On RabbitMQ a chunk lost with its worker is redelivered by the broker. The embedded broker
keeps unacknowledged messages only in the worker's memory, so they vanish with it; this
sweep finds a job none of whose unfinished chunks has checkpointed for ``job_stall_seconds``
and sends those chunks again as a new chord. Duplicates are harmless: a chunk resumes from
its checkpoint (or returns its stored result) and the reducer acts once. While messages
still wait in the queue and workers answer, a job without progress may only be waiting its
turn behind them, so it gets ``job_stall_grace_seconds`` more, and no longer: other jobs'
steady load must not hide a job whose messages are gone or held by a wedged worker.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from config import Settings
from pipeline.canvas import DispatchError, dispatch
from pipeline.celery_config import PichordCelery
from pipeline.inspection import queue_depth, workers_answering
from pipeline.jobs import fail, reserve_of
from storage import CorruptRecordError, JobNotFoundError, JobRecord, JobStore
from storage.records import ChunkRecord, utcnow
from storage.room import full_disk_behind

logger = logging.getLogger(__name__)


def last_activity(store: JobStore, job: JobRecord) -> datetime:
    """The job's last dispatch or chunk write. A stat per chunk file, not a read: the sweep
    runs every few seconds over every pending job, beside the chunks being computed."""
    stamps = store.chunk_stamps(job.id).values()
    latest = job.dispatched_at or job.pushqtime
    if stamps:
        written = datetime.fromtimestamp(max(mtime for _, mtime, _ in stamps) / 1e9, UTC)
        latest = max(latest, written)
    return latest


@dataclass(frozen=True)
class StalledJob:
    job: JobRecord
    idle_seconds: float


def stalled_jobs(store: JobStore, job_stall_seconds: float, now: datetime) -> list[StalledJob]:
    """Unfinished jobs with no checkpoint for ``job_stall_seconds``. Only jobs created longer
    ago than that are read: the sweep runs every few seconds in an API process, and reading
    every record of a backlog of young jobs each time held up that process's requests."""
    found = []
    for job_id in store.pending_created_before(now - timedelta(seconds=job_stall_seconds)):
        try:
            job = store.get(job_id)
        except (JobNotFoundError, CorruptRecordError):
            store.settle_markers(job_id, None)
            continue
        if job.status.finished:
            store.settle_markers(job_id, job)
            continue
        idle = (now - last_activity(store, job)).total_seconds()
        if idle > job_stall_seconds:
            found.append(StalledJob(job, idle))
    return found


def due_for_redispatch(
    stalled: list[StalledJob], queue_busy: Callable[[], bool], settings: Settings
) -> list[JobRecord]:
    """The stalled jobs to send again now: all of them, unless the queue is busy; then only
    those idle past the grace, which no queue ahead of them explains any more. The queue
    is asked about (a broker round trip and a ping) only when the answer matters."""
    limit = settings.job_stall_seconds + settings.job_stall_grace_seconds
    overdue = [s.job for s in stalled if s.idle_seconds > limit]
    if len(overdue) == len(stalled) or queue_busy():
        return overdue
    return [s.job for s in stalled]


def redispatch_stalled(app: PichordCelery, store: JobStore) -> list[str]:
    """One sweep; returns the ids of the jobs sent again. Only one process sweeps at a time.

    A job already sent ``max_dispatches`` times fails with the reason instead: a deadline,
    so no job stays in PROGRESS forever."""
    settings = app.settings
    with store.sweep_lock() as acquired:
        if not acquired:
            return []  # another API process is sweeping right now
        stalled = stalled_jobs(store, settings.job_stall_seconds, utcnow())
        if not stalled:
            return []
        due = due_for_redispatch(stalled, lambda: waiting_their_turn(app), settings)
        if len(due) < len(stalled):
            logger.info(
                "%d jobs without progress may wait behind queued work",
                len(stalled) - len(due),
            )
        sent = []
        # The deadline holds whatever the disk: only sending again waits for room.
        room = _room_to_send_again(store, settings)
        for job in due:
            if job.dispatches >= settings.max_dispatches:
                fail(
                    store,
                    job.id,
                    f"no progress for {settings.job_stall_seconds:g} s after {job.dispatches} "
                    "dispatches; check that workers consume the queue (GET /workers) and "
                    "submit the job again",
                )
                logger.error("job %s failed: stalled after %d dispatches", job.id, job.dispatches)
                continue
            if not room:
                continue
            chunks = store.chunks(job.id)
            # All chunks done but no result means the reducer was lost: an empty chord
            # header sends the body straight away.
            unfinished = [s for s in job.chunks if not _finished(chunks.get(s.index))]
            try:
                number = dispatch(app, store, job.id, unfinished)
            except DispatchError as exc:
                if full_disk_behind(exc) is not None:
                    # Sent again once there is room; only this dispatch is spent.
                    logger.warning("stall sweep stopped: the state dir is full (%s)", exc)
                    break
            else:
                logger.warning(
                    "job %s stalled; dispatched %d chunks again (dispatch %d)",
                    job.id,
                    len(unfinished),
                    number,
                )
                sent.append(job.id)
        return sent


def _room_to_send_again(store: JobStore, settings: Settings) -> bool:
    """Whether the state dir has the room kept for running jobs: below it, a job sent again
    would spend one of its dispatches on a chord the full disk stops, so the sweep waits."""
    short = store.room_below(reserve_of(settings))
    if short is not None:
        logger.warning("not sending stalled jobs again while %s", short.shown())
    return short is None


def waiting_their_turn(app: PichordCelery) -> bool:
    """Messages are queued and workers answer: jobs with no progress may be waiting behind
    other work (a long job ahead of them) rather than lost."""
    try:
        return queue_depth(app) > 0 and bool(workers_answering(app, app.settings.inspect_timeout))
    except Exception:  # the broker is down: nothing waits anywhere
        logger.warning("could not inspect the queue", exc_info=True)
        return False


def _finished(record: ChunkRecord | None) -> bool:
    return record is not None and record.finished
