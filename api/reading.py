"""Reading one stored task as a client sees it, for the routes and the job watcher; an
unknown id raises JobNotFoundError, which api/errors.py answers with 404."""

from uuid import UUID

from api.answer_cache import AnswerCache
from api.chunk_cache import ChunkCache
from api.progress import inline_digits, task_public, unreadable_task
from api.schemas.tasks import TaskPublic
from storage import CorruptRecordError, JobStatus, JobStore


def read_task(store: JobStore, cache: ChunkCache, task_id: UUID, brief: bool = False) -> TaskPublic:
    return _read_task(store, cache, task_id, brief)[0]


def _read_task(
    store: JobStore, cache: ChunkCache, task_id: UUID, brief: bool = False
) -> tuple[TaskPublic, bool]:
    """The task, and whether its record alone made it: a job that ended with its final
    progress, which nothing changes but a rewrite of the record."""
    job_id = str(task_id)
    try:
        job = store.get(job_id)
    except CorruptRecordError as exc:
        return unreadable_task(exc, store.created_at(job_id)), False
    wants_digits = job.status is JobStatus.SUCCESS and not brief and inline_digits(job)
    digits = store.digits(job) if wants_digits else None
    # A record finished with its final progress needs none of its chunk files. Any other
    # job's may still change, a cancelled one's too: its chunks stop at their checkpoints.
    chunks = {} if job.final is not None else cache.job_chunks(store, job)
    return task_public(job, chunks, digits, brief=brief), job.final is not None


def read_task_answer(
    store: JobStore, cache: ChunkCache, answers: AnswerCache, task_id: UUID
) -> TaskPublic | bytes:
    """``read_task``, except that a job its record alone shows comes as its JSON, rendered
    once for each version of the record."""
    job_id = str(task_id)
    stamp = store.record_stamp(job_id)
    if stamp is None:
        answers.forget(job_id)
    else:
        cached = answers.get(job_id, stamp)
        if cached is not None:
            return cached
    task, from_record = _read_task(store, cache, task_id)
    # Kept only when the record did not change while it was read: its stamp names it.
    if not from_record or stamp is None or store.record_stamp(job_id) != stamp:
        return task
    answer = task.model_dump_json(by_alias=True).encode()
    answers.put(job_id, stamp, answer)
    return answer
