"""The Celery tasks: thin wrappers that load, call the pipeline, and return."""

import logging
from typing import Any, cast

from celery import Task
from celery.exceptions import Ignore

from pipeline.canvas import CHUNK_TASK, REDUCE_TASK, dispatch
from pipeline.celery_app import PichordCelery
from pipeline.chunk_runner import ChunkCancelledError, run_chunk
from pipeline.jobs import chunk_planner, fail
from pipeline.reducer import IncompleteJobError, reduce_job
from storage import ChunkSpec, JobNotFoundError, JobStore

logger = logging.getLogger(__name__)


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


def compute_chunk(task: JobTask, job_id: str, index: int, start: int, stop: int) -> dict[str, Any]:
    """One chunk of the Leibniz series; returns its sum and error bound."""
    settings = task.pichord.settings
    try:
        result = run_chunk(
            task.store(),
            job_id,
            ChunkSpec(index=index, start=start, stop=stop),
            worker=task.request.hostname or "unknown",
            checkpoint_seconds=settings.checkpoint_seconds,
        )
    except ChunkCancelledError:
        # The job is already REVOKED; nothing is stored for this part and the chord
        # never fires.
        raise Ignore() from None
    return result.to_json()


def reduce_chunks(task: JobTask, results: list[Any], job_id: str) -> None:
    """Certify the digits, or dispatch one more round of chunks when they are not fixed yet."""
    store = task.store()
    try:
        extension = reduce_job(store, job_id, chunk_planner(task.pichord).split)
    except IncompleteJobError as exc:
        # A chord from an earlier dispatch of a job that was sent again; the current
        # dispatch's reducer will finish it.
        logger.info("reducer for job %s skipped: %s", job_id, exc)
        return
    if extension is not None:
        dispatch(task.pichord, store, job_id, extension.chunks)


def register_tasks(app: PichordCelery) -> None:
    app.task(name=CHUNK_TASK, bind=True, base=JobTask)(compute_chunk)
    app.task(name=REDUCE_TASK, bind=True, base=JobTask)(reduce_chunks)
