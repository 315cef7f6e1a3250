"""The Celery tasks: thin wrappers that load, call the pipeline, and return."""

import functools
import logging
import time
from typing import Any, cast

# celery-types' billiard stubs predate terminate_handler_fired (billiard 4.3).
from billiard.common import terminate_handler_fired  # type: ignore[attr-defined]
from celery import Task
from celery.exceptions import Ignore

from pipeline.canvas import DispatchError, dispatch
from pipeline.celery_config import PichordCelery
from pipeline.chunk_runner import run_claimed_chunk
from pipeline.fleet import processes_online
from pipeline.jobs import fail
from pipeline.lanes import passes_turn, send_next_ticket
from pipeline.methods import method_named
from pipeline.retention import remove_expired
from pipeline.rounds import IncompleteJobError
from pipeline.task_names import CLEANUP_TASK, LANE_TASK, LEGACY_CHUNK_TASKS, REDUCE_TASK
from pipeline.task_retries import guarded, retry_while_another_delivery_holds
from storage import JobNotFoundError, JobRecord, JobStore
from storage.claims import Claims
from storage.record_cache import RecordCache
from storage.room import full_disk_behind

logger = logging.getLogger(__name__)


class JobTask(Task[Any, Any]):
    """A task whose first argument is a job id; its failure ends that job."""

    @property
    def pichord(self) -> PichordCelery:
        return cast(PichordCelery, self.app)

    def store(self) -> JobStore:
        return self._store

    @functools.cached_property
    def _store(self) -> JobStore:
        # One per task in a process: opening a store makes sure its folders exist (a few
        # mkdir calls), which every task would otherwise pay again.
        return JobStore(self.pichord.settings.state_dir)

    @functools.cached_property
    def records(self) -> RecordCache:
        """Job records this process read, kept until they change (read-only)."""
        return RecordCache(self.store())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            # The pool process is being terminated (Celery cancels running tasks when the
            # broker connection is lost): the SystemExit of billiard's SIGTERM handler can
            # reach a library that wraps it as an ordinary error (seen: a reducer failing
            # with PydanticSerializationError "SystemExit: -241"). That is not the task's
            # failure and must not fail the job: exit as the handler meant, so the message
            # is delivered again.
            if terminate_handler_fired():
                raise SystemExit(f"terminated while running {self.name}: {exc!r}") from exc
            raise

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        job_id = _job_id(self.name, args)
        if job_id is None:
            return
        try:
            fail(self.store(), job_id, f"{self.name} failed: {exc!r}")
        except JobNotFoundError:
            logger.warning("task %s failed for unknown job %s", task_id, job_id)


def _job_id(name: str, args: Any) -> str | None:
    # The chunk task takes the job id first; the reducer gets the chord's results first.
    position = 1 if name == REDUCE_TASK else 0
    if isinstance(args, list | tuple) and len(args) > position:
        return str(args[position])
    return None


def run_lane(task: JobTask, job_id: str, dispatch: int, sent_at: float | None = None) -> None:
    """One lane ticket: claim the dispatch's next chunk, send the lane's next ticket to the
    back of the queue if chunks remain, then compute the claimed chunk. Without a chunk to
    claim the ticket returns, and the last to return fires the chord. A full disk at any
    step, the claim book's as much as the chunk's, sends the ticket again later, as a
    redelivery would be: every step is safe to run again."""
    guarded(task, lambda: _run_lane(task, job_id, dispatch, sent_at))


def _run_lane(task: JobTask, job_id: str, dispatch: int, sent_at: float | None) -> None:
    store = task.store()
    if store.cancel_requested(job_id):
        raise Ignore()
    job = task.records.get(job_id)
    claims = store.claims(job_id, dispatch)
    with claims.ticket(task.request.id or "") as ticket:
        if ticket is None:
            retry_while_another_delivery_holds(task)
        if ticket.done:
            return  # an earlier delivery computed this ticket's chunk
        if _passes_turn(task, store, job, claims):
            send_next_ticket(task, task.pichord, job_id, dispatch, more=True)
            ticket.finish()
            return
        with claims.claim() as claim:
            more = claim is not None and claim.more
            send_next_ticket(task, task.pichord, job_id, dispatch, more=more)
            if claim is None:
                return
            waited = None if sent_at is None else max(0.0, time.time() - sent_at)
            _compute(task, store, job, claim.index, waited)
            ticket.finish()


def _passes_turn(task: JobTask, store: JobStore, job: JobRecord, claims: Claims) -> bool:
    """Whether the ticket lets other clients' jobs go first: its client has several jobs
    while other clients have some too, and chunks remain to come back for."""
    if job.owner is None or not claims.unclaimed_left():
        return False
    own = store.pending_count(job.owner)
    return own > 1 and passes_turn(task.request.id or "", own, store.pending_count())


def compute_chunk(task: JobTask, job_id: str, index: int, *_: Any, **__: Any) -> None:
    """One chunk named by its message: the messages sent before lane tickets existed, still
    accepted so that an upgrade with jobs in flight loses none. The chunk is computed; the
    rest of its job is sent again by the stall sweep, as lane tickets."""
    store = task.store()
    job = store.get(job_id)

    def compute() -> None:
        with store.chunk_lock(job_id, index):
            _compute(task, store, job, index)

    guarded(task, compute)


def _compute(
    task: JobTask,
    store: JobStore,
    job: JobRecord,
    index: int,
    queue_seconds: float | None = None,
) -> None:
    """Compute the job's chunk ``index``, whose lock the caller holds."""
    spec = next((s for s in job.chunks if s.index == index), None)
    if spec is None:
        raise LookupError(f"job {job.id} has no chunk {index}; it was planned without it")
    settings = task.pichord.settings
    run_claimed_chunk(
        store,
        job.id,
        spec,
        method_named(job.method).chunk_compute(settings, job, spec),
        worker=task.request.hostname or "unknown",
        checkpoint_seconds=settings.checkpoint_seconds,
        task_id=task.request.id,
        queue_seconds=queue_seconds,
    )


def reduce_chunks(task: JobTask, results: list[Any], job_id: str) -> None:
    """Certify the digits, or dispatch one more round of chunks when they are not fixed yet."""
    guarded(task, lambda: _reduce_chunks(task, job_id))


def _reduce_chunks(task: JobTask, job_id: str) -> None:
    store = task.store()
    method = method_named(store.get(job_id).method)
    settings = task.pichord.settings
    try:
        extension = method.reduce(settings, store, job_id, lambda: processes_online(settings))
    except IncompleteJobError as exc:
        # A chord from an earlier dispatch of a job that was sent again; the current
        # dispatch's reducer will finish it.
        logger.info("reducer for job %s skipped: %s", job_id, exc)
        return
    if extension is None:
        return
    try:
        dispatch(task.pichord, store, job_id, extension.chunks)
    except DispatchError as exc:
        if full_disk_behind(exc) is None:
            raise
        # The round's chord could not be written: the stall sweep sends it once there is room.
        logger.warning("job %s: next round not sent, the state dir is full (%s)", job_id, exc)


def cleanup(task: Task[Any, Any]) -> int:
    """Remove finished jobs past PICHORD_RETENTION_DAYS (sent by Celery beat)."""
    app = cast(PichordCelery, task.app)
    return len(remove_expired(app, JobStore(app.settings.state_dir)))


def register_tasks(app: PichordCelery) -> None:
    for name in LEGACY_CHUNK_TASKS:
        app.task(name=name, bind=True, base=JobTask)(compute_chunk)
    app.task(name=LANE_TASK, bind=True, base=JobTask)(run_lane)
    # The reducer's answer is the job record: Celery's copy of its return value (None) would
    # be one more result file per round, read by nobody.
    app.task(name=REDUCE_TASK, bind=True, base=JobTask, ignore_result=True)(reduce_chunks)
    app.task(name=CLEANUP_TASK, bind=True, ignore_result=True)(cleanup)
