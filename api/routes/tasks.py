"""Jobs: submit, read, list, inspect chunks, cancel."""

import contextlib
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse

from api import audit, errors
from api.admission import admit_submission
from api.auth import ReaderDep, WriterCaller, require_owner
from api.chunk_cache import ChunkCache
from api.deps import ChunkCacheDep, SettingsDep, StoreDep
from api.progress import chunk_public, inline_digits, job_status, task_public, unreadable_task
from api.schemas import ChunkList, TaskCreate, TaskCreated, TaskList, TaskPublic
from api.submission import REPLAYED, SubmissionDep, submit_job
from api.submitter import submitter_lifespan
from pipeline.job_view import BracketPoint
from pipeline.jobs import JobFinishedError, cancel
from pipeline.methods import UnknownMethodError, method_named
from storage import CorruptRecordError, JobNotFoundError, JobRecord, JobStatus, JobStore
from storage.audit import AuditAction
from storage.clients import CLIENT_NAME

# The submitter lives with this router: GET /leibnic/{digits} submits through it as well.
router = APIRouter(prefix="/tasks", tags=["tasks"], lifespan=submitter_lifespan)

MAX_PAGE = 500


def no_such_task(job_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no task with id {job_id}")


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


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskCreated,
    dependencies=[Depends(admit_submission)],
    responses={**errors.SUBMIT, **REPLAYED},
)
async def create_task(
    body: TaskCreate,
    submission: SubmissionDep,
) -> TaskCreated:
    """Start computing pi to `digits` decimals (200 and the first job for a repeated
    Idempotency-Key)."""
    return await submit_job(submission, body.method, body.digits)


@router.get("", response_model=TaskList, dependencies=[ReaderDep], responses=errors.READ)
def list_tasks(
    store: StoreDep,
    cache: ChunkCacheDep,
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    owner: Annotated[
        str | None, Query(pattern=CLIENT_NAME, description="Only the jobs this client submitted")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TaskList:
    """Stored tasks, newest first, without their results (GET /tasks/{id} has them)."""
    if status_filter is None or status_filter.finished:
        page, total = store.page(status_filter, owner, offset, limit)
    else:
        # WAITING or PROGRESS: only pending jobs can be either, and their chunks tell which.
        ids = [
            job.id
            for job in newest_pending(store, owner)
            if job_status(job, cache.chunks(store, job.id)) is status_filter
        ]
        page, total = ids[offset : offset + limit], len(ids)
    tasks = []
    # Only the page is read in full; an entry whose job was just removed is skipped.
    for job_id in page:
        with contextlib.suppress(HTTPException):
            tasks.append(read_task(store, cache, UUID(job_id), brief=True))
    return TaskList(tasks=tasks, total=total, limit=limit, offset=offset)


def newest_pending(store: JobStore, owner: str | None) -> list[JobRecord]:
    """The records of the unfinished jobs (at most PICHORD_MAX_PENDING_JOBS), newest first;
    an unreadable one is listed as FAILURE, so it is left out here."""
    records = []
    for job_id in store.pending_ids(owner):
        with contextlib.suppress(JobNotFoundError, CorruptRecordError):
            records.append(store.get(job_id))
    return sorted(records, key=lambda job: job.pushqtime, reverse=True)


@router.get(
    "/{task_id}", response_model=TaskPublic, dependencies=[ReaderDep], responses=errors.READ_TASK
)
async def get_task(task_id: UUID, store: StoreDep, cache: ChunkCacheDep) -> TaskPublic:
    """Status, progress and, when done, the certified digits of one task."""
    # The read waits on files, so it runs on a thread; a sync route would take a second
    # thread to check the answer against TaskPublic, the most polled route's largest cost.
    return await run_in_threadpool(read_task, store, cache, task_id)


def stored_job(store: JobStore, job_id: str) -> JobRecord:
    with stored_task_errors(job_id):
        return store.get(job_id)


@router.get(
    "/{task_id}/chunks",
    response_model=ChunkList,
    dependencies=[ReaderDep],
    responses=errors.READ_TASK,
)
def get_chunks(task_id: UUID, store: StoreDep, cache: ChunkCacheDep) -> ChunkList:
    """Progress of each chunk of a task, with the worker computing it."""
    job_id = str(task_id)
    job = stored_job(store, job_id)
    return ChunkList(id=job_id, chunks=chunk_public(job, cache.job_chunks(store, job)))


@router.get(
    "/{task_id}/convergence",
    response_model=list[BracketPoint],
    dependencies=[ReaderDep],
    responses=errors.READ_TASK,
)
def get_convergence(task_id: UUID, store: StoreDep, cache: ChunkCacheDep) -> list[BracketPoint]:
    """pi's bracket after each computed prefix: (S_N, S_N + 4/(2N+1)) after N terms of the
    series."""
    job_id = str(task_id)
    job = stored_job(store, job_id)
    with stored_task_errors(job_id):
        return method_named(job.method).convergence(job, cache.job_chunks(store, job))


# Bytes per piece of a streamed digits file.
DIGITS_PIECE = 64 * 1024


class DigitsPart(StrEnum):
    """What GET /tasks/{id}/digits serves: the certified digits, or an end of their bracket."""

    RESULT = "result"
    LOWER = "lower"
    UPPER = "upper"


def _pieces(text: str) -> Iterator[str]:
    for start in range(0, len(text), DIGITS_PIECE):
        yield text[start : start + DIGITS_PIECE]


@router.get(
    "/{task_id}/digits",
    response_class=StreamingResponse,
    dependencies=[ReaderDep],
    responses={
        200: {"content": {"text/plain": {}}, "description": "The digits, one line"},
        206: {"content": {"text/plain": {}}, "description": "A byte range of the digits"},
        **errors.READ_TASK,
    },
)
def get_digits(
    task_id: UUID,
    store: StoreDep,
    cache: ChunkCacheDep,
    of: Annotated[
        DigitsPart, Query(description="The digits, or the lower or upper end of the certificate")
    ] = DigitsPart.RESULT,
) -> Response:
    """The certified digits of a finished task (or its certificate's bounds, in full) as a
    text file to download."""
    job_id = str(task_id)
    job = stored_job(store, job_id)
    if job.status is JobStatus.SUCCESS and of is DigitsPart.RESULT and job.result_length:
        # The file as it is: sent without reading it into memory, and with Range requests
        # answered (the dashboard shows a long result's ends from two small ones).
        path = store.result_path(job_id)
        if path.is_file():
            return FileResponse(
                path,
                media_type="text/plain; charset=utf-8",
                filename=f"pi-{job.digits}-{job_id}.txt",
            )
    text = _stored_text(store, job, of)
    if job.status is not JobStatus.SUCCESS or text is None:
        current = job_status(job, cache.job_chunks(store, job))
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"task {job_id} is {current}; its digits are served once it is SUCCESS "
            f"(poll /tasks/{job_id})",
        )
    name = f"pi-{job.digits}-{job_id}.txt" if of is DigitsPart.RESULT else f"pi-{of}-{job_id}.txt"
    return StreamingResponse(
        _pieces(text + "\n"),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _stored_text(store: JobStore, job: JobRecord, part: DigitsPart) -> str | None:
    if part is DigitsPart.RESULT:
        return store.result(job.id) if job.result_length is not None else job.result
    certificate = job.certificate
    if certificate is None:
        return None
    if certificate.bounds_cut is None:
        return certificate.lower if part is DigitsPart.LOWER else certificate.upper
    bounds = store.bounds(job.id)
    if bounds is None:
        return None
    return bounds[0] if part is DigitsPart.LOWER else bounds[1]


@router.delete("/{task_id}", response_model=TaskPublic, responses=errors.CANCEL)
def cancel_task(
    task_id: UUID,
    caller: WriterCaller,
    settings: SettingsDep,
    store: StoreDep,
    cache: ChunkCacheDep,
    request: Request,
) -> TaskPublic:
    """Cancel a task: queued chunks never compute, running ones stop at their next checkpoint.
    A client cancels its own tasks; an admin anyone's."""
    job_id = str(task_id)
    with audit.audited(settings, request, AuditAction.CANCEL, caller=caller, job_id=job_id) as done:
        require_owner(caller, stored_job(store, job_id))
        try:
            with stored_task_errors(job_id):
                cancel(store, job_id)
        except JobFinishedError as exc:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"{exc}; only WAITING or PROGRESS tasks can be cancelled"
            ) from exc
        done.result = "cancelled"
    return read_task(store, cache, task_id)
