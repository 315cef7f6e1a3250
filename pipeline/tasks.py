"""The Celery tasks: thin wrappers that load, call the pipeline, and return."""

import functools
import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

# celery-types' billiard stubs predate terminate_handler_fired (billiard 4.3).
from billiard.common import terminate_handler_fired  # type: ignore[attr-defined]
from celery import Task
from celery.exceptions import Ignore, Reject
from kombu.exceptions import OperationalError

from pipeline.canvas import chunk_signature, dispatch, lanes_per_job
from pipeline.celery_config import PichordCelery
from pipeline.chunk_runner import ChunkCancelledError, run_chunk
from pipeline.jobs import fail
from pipeline.lanes import Lane, next_in_lane
from pipeline.methods import METHODS, method_named
from pipeline.retention import remove_expired
from pipeline.rounds import IncompleteJobError
from pipeline.task_names import CLEANUP_TASK, REDUCE_TASK
from storage import ChunkRecord, JobNotFoundError, JobRecord, JobStore
from storage.atomic import DISK_FULL_ERRNOS

logger = logging.getLogger(__name__)

T = TypeVar("T")


class JobTask(Task[Any, Any]):
    """A task whose first argument is a job id; its failure ends that job."""

    @property
    def pichord(self) -> PichordCelery:
        return cast(PichordCelery, self.app)

    def store(self) -> JobStore:
        return JobStore(self.pichord.settings.state_dir)

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


def retry_when_disk_full(task: JobTask, exc: OSError) -> NoReturn:
    # The state dir is full (or over quota): the chunk's last checkpoint is intact (writes
    # are atomic), so it is sent again later and resumes there; progress shows what was saved.
    if exc.errno not in DISK_FULL_ERRNOS:
        raise exc
    settings = task.pichord.settings
    logger.warning(
        "state dir full while %s ran; retrying in %g s",
        task.request.id,
        settings.disk_full_retry_seconds,
    )
    raise task.retry(
        exc=exc,
        countdown=settings.disk_full_retry_seconds,
        max_retries=settings.disk_full_retries,
    )


def _guarded(task: JobTask, work: Callable[[], T]) -> T:
    """Run a chunk's work: a cancelled job ends it without storing anything (the chord then
    never fires), and a full state dir sends it again later."""
    try:
        return work()
    except ChunkCancelledError:
        raise Ignore() from None
    except OSError as exc:
        retry_when_disk_full(task, exc)


def continue_lane(task: JobTask, job: JobRecord, index: int, lane: Lane) -> None:
    """Replace this task by its lane's next unfinished chunk, queued behind every message
    already waiting (other jobs' lanes included); return if the lane has no chunk left.

    ``Task.replace`` hands the task id, group and chord on to the next chunk, so the chord
    counts the lane once, when its last chunk returns."""
    store = task.store()
    found = next_in_lane(store, job, index, lane)
    if found is None:
        return
    upcoming, record = found
    if store.cancel_requested(job.id):
        raise Ignore()
    if _lane_went_on(store, job.id, upcoming.index, record, task.request.id):
        logger.info("%s: another delivery of it carries the lane on", task.request.id)
        raise Ignore()
    try:
        task.replace(chunk_signature(task.pichord, job.method, job.id, upcoming, lane))
    except (OperationalError, OSError) as exc:
        # The broker did not take the next chunk (after the publish retries). The chunk
        # itself is stored: the message goes back, and its next delivery finds the chunk
        # finished and sends the lane on.
        logger.warning("%s could not send its lane on: %r", task.request.id, exc)
        raise Reject(exc, requeue=True) from exc


def _lane_went_on(
    store: JobStore, job_id: str, index: int, record: ChunkRecord | None, task_id: str | None
) -> bool:
    """Another delivery of this lane's message (a redelivery, both alive) already computes
    the next chunk: this one ends here instead of doubling the lane. A next chunk of this
    lane that nobody holds is sent again, so a delivery lost with its worker is resumed."""
    return record is not None and record.task_id == task_id and store.chunk_running(job_id, index)


def compute_chunk(
    task: JobTask,
    job_id: str,
    index: int,
    *_range: int,
    lane_step: int = 0,
    lane_stop: int = 0,
) -> None:
    """One chunk of a job, by its method's runner, then the lane's next chunk.

    The chunk's range and kind come from the job record; messages of methods that also
    carry the range (``_range``) keep their shape for workers of every version. Nothing is
    returned: the reducer reads the exact results from the store."""
    store = task.store()
    job = store.get(job_id)
    spec = next((s for s in job.chunks if s.index == index), None)
    if spec is None:
        raise LookupError(f"job {job_id} has no chunk {index}; it was planned without it")
    method = method_named(job.method)
    _guarded(
        task,
        lambda: run_chunk(
            store,
            job_id,
            spec,
            method.chunk_compute(task.pichord.settings, job, spec),
            worker=task.request.hostname or "unknown",
            checkpoint_seconds=task.pichord.settings.checkpoint_seconds,
            task_id=task.request.id,
        ),
    )
    lane = Lane(lane_step, lane_stop)
    if lane.following(index):
        continue_lane(task, job, index, lane)


def reduce_chunks(task: JobTask, results: list[Any], job_id: str) -> None:
    """Certify the digits, or dispatch one more round of chunks when they are not fixed yet."""
    store = task.store()
    method = method_named(store.get(job_id).method)
    # Counted (a broker round trip) only if the job needs another round.
    lanes = functools.cache(functools.partial(lanes_per_job, task.pichord))
    try:
        extension = method.reduce(task.pichord.settings, store, job_id, lanes)
    except IncompleteJobError as exc:
        # A chord from an earlier dispatch of a job that was sent again; the current
        # dispatch's reducer will finish it.
        logger.info("reducer for job %s skipped: %s", job_id, exc)
        return
    if extension is not None:
        dispatch(task.pichord, store, job_id, extension.chunks, lanes())


def cleanup(task: Task[Any, Any]) -> int:
    """Remove finished jobs past PICHORD_RETENTION_DAYS (sent by Celery beat)."""
    app = cast(PichordCelery, task.app)
    return len(remove_expired(app, JobStore(app.settings.state_dir)))


def register_tasks(app: PichordCelery) -> None:
    for name in sorted({name for method in METHODS.values() for name in method.task_names}):
        app.task(name=name, bind=True, base=JobTask)(compute_chunk)
    app.task(name=REDUCE_TASK, bind=True, base=JobTask)(reduce_chunks)
    app.task(name=CLEANUP_TASK, bind=True, ignore_result=True)(cleanup)
