"""The Celery tasks: thin wrappers that load, call the pipeline, and return."""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn, TypeVar, cast

from celery import Task
from celery.exceptions import Ignore, Reject
from kombu.exceptions import OperationalError

from pipeline.canvas import dispatch, part_signature
from pipeline.celery_app import PichordCelery
from pipeline.chunk_runner import run_chunk
from pipeline.euler_plan import stored_plan
from pipeline.euler_reducer import reduce_euler_job
from pipeline.euler_runner import compute_correction, compute_series
from pipeline.jobs import chunk_planner, fail
from pipeline.lanes import Lane, next_in_lane
from pipeline.leibniz_euler import EulerPlan
from pipeline.methods import Method
from pipeline.parts import ChunkCancelledError, PartCompute, run_part
from pipeline.reducer import IncompleteJobError, reduce_job
from pipeline.retention import remove_expired
from pipeline.task_names import (
    CHUNK_TASK,
    CLEANUP_TASK,
    EULER_CORRECTION_TASK,
    EULER_SERIES_TASK,
    REDUCE_TASK,
)
from storage import ChunkRecord, ChunkSpec, JobNotFoundError, JobRecord, JobStore
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
    # The state dir is full (or over quota): the part's last checkpoint is intact (writes
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
    """Run a part's work: a cancelled job ends it without storing anything (the chord then
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
        task.replace(part_signature(task.pichord, job.method, job.id, upcoming, lane))
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
    start: int,
    stop: int,
    lane_step: int = 0,
    lane_stop: int = 0,
) -> dict[str, Any]:
    """One chunk of the Leibniz series; returns its sum and error bound."""
    store = task.store()
    result = _guarded(
        task,
        lambda: run_chunk(
            store,
            job_id,
            ChunkSpec(index=index, start=start, stop=stop),
            worker=task.request.hostname or "unknown",
            checkpoint_seconds=task.pichord.settings.checkpoint_seconds,
            task_id=task.request.id,
        ),
    )
    lane = Lane(lane_step, lane_stop)
    if lane.following(index):
        continue_lane(task, store.get(job_id), index, lane)
    return result.to_json()


def _euler_part(
    task: JobTask,
    job_id: str,
    index: int,
    lane: Lane,
    compute: Callable[[EulerPlan], PartCompute],
) -> dict[str, Any]:
    store = task.store()
    job = store.get(job_id)
    spec = next((s for s in job.chunks if s.index == index), None)
    if spec is None:
        raise LookupError(f"job {job_id} has no part {index}")
    record = _guarded(
        task,
        lambda: run_part(
            store,
            job_id,
            spec,
            compute(stored_plan(job)),
            worker=task.request.hostname or "unknown",
            checkpoint_seconds=task.pichord.settings.checkpoint_seconds,
            task_id=task.request.id,
        ),
    )
    continue_lane(task, job, index, lane)
    # The exact sum stays in the store: it can have more digits than a JSON reader accepts.
    return {"index": record.index, "start": record.start, "stop": record.stop}


def euler_series(
    task: JobTask, job_id: str, index: int, lane_step: int = 0, lane_stop: int = 0
) -> dict[str, Any]:
    """One chunk of the series, exact in units of 10^-P."""
    return _euler_part(
        task, job_id, index, Lane(lane_step, lane_stop), lambda plan: partial(compute_series, plan)
    )


def euler_correction(
    task: JobTask, job_id: str, index: int, lane_step: int = 0, lane_stop: int = 0
) -> dict[str, Any]:
    """The Euler-number tail correction and its remainder bound."""
    state_dir = task.pichord.settings.state_dir
    return _euler_part(
        task,
        job_id,
        index,
        Lane(lane_step, lane_stop),
        lambda plan: partial(compute_correction, plan, state_dir),
    )


def reduce_chunks(task: JobTask, results: list[Any], job_id: str) -> None:
    """Certify the digits, or dispatch one more round of chunks when they are not fixed yet."""
    store = task.store()
    method = Method(store.get(job_id).method)
    split = chunk_planner(task.pichord, method).split
    reduce = reduce_euler_job if method is Method.LEIBNIZ_EULER else reduce_job
    try:
        extension = reduce(store, job_id, split)
    except IncompleteJobError as exc:
        # A chord from an earlier dispatch of a job that was sent again; the current
        # dispatch's reducer will finish it.
        logger.info("reducer for job %s skipped: %s", job_id, exc)
        return
    if extension is not None:
        dispatch(task.pichord, store, job_id, extension.chunks)


def cleanup(task: Task[Any, Any]) -> int:
    """Remove finished jobs past PICHORD_RETENTION_DAYS (sent by Celery beat)."""
    app = cast(PichordCelery, task.app)
    return len(remove_expired(app, JobStore(app.settings.state_dir)))


def register_tasks(app: PichordCelery) -> None:
    app.task(name=CHUNK_TASK, bind=True, base=JobTask)(compute_chunk)
    app.task(name=EULER_SERIES_TASK, bind=True, base=JobTask)(euler_series)
    app.task(name=EULER_CORRECTION_TASK, bind=True, base=JobTask)(euler_correction)
    app.task(name=REDUCE_TASK, bind=True, base=JobTask)(reduce_chunks)
    app.task(name=CLEANUP_TASK, bind=True, ignore_result=True)(cleanup)
