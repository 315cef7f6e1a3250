"""Reading a stored task for a route or the job watcher, with the store's errors as answers."""

import contextlib
from collections.abc import Iterator
from uuid import UUID

from fastapi import HTTPException, status

from api.chunk_cache import ChunkCache
from api.progress import inline_digits, task_public, unreadable_task
from api.schemas import TaskPublic
from pipeline.methods import UnknownMethodError
from storage import CorruptRecordError, JobNotFoundError, JobRecord, JobStatus, JobStore


def no_such_task(job_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no task with id {job_id}")


def read_task(store: JobStore, cache: ChunkCache, task_id: UUID, brief: bool = False) -> TaskPublic:
    job_id = str(task_id)
    try:
        job = store.get(job_id)
    except JobNotFoundError as exc:
        raise no_such_task(job_id) from exc
    except CorruptRecordError as exc:
        return unreadable_task(exc, store.created_at(job_id))
    wants_digits = job.status is JobStatus.SUCCESS and not brief and inline_digits(job)
    digits = store.result(job_id) if wants_digits else None
    # A record finished with its final progress needs none of its chunk files.
    chunks = {} if job.final is not None else cache.job_chunks(store, job)
    return task_public(job, chunks, digits, brief=brief)


@contextlib.contextmanager
def stored_task_errors(job_id: str) -> Iterator[None]:
    """The store's errors as answers: an unknown id is 404; an unreadable record, or one of
    a method this version does not know, 409."""
    try:
        yield
    except JobNotFoundError as exc:
        raise no_such_task(job_id) from exc
    except (CorruptRecordError, UnknownMethodError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


def stored_job(store: JobStore, job_id: str) -> JobRecord:
    with stored_task_errors(job_id):
        return store.get(job_id)
