"""Jobs: submit, read, list, inspect chunks, cancel."""

import contextlib
import time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from api import audit, errors
from api.auth import ReaderDep, WriterCaller, require_owner
from api.deps import AnswerCacheDep, ChunkCacheDep, SettingsDep, StoreDep, WatcherDep
from api.job_watcher import JobWatcher
from api.progress import chunk_public, job_status
from api.reading import read_task, read_task_answer
from api.schemas.tasks import ChunkList, TaskCreate, TaskCreated, TaskList, TaskPublic
from api.submission import REPLAYED, SubmissionDep, submit_job
from api.submitter import submitter_lifespan
from pipeline.job_view import BracketPoint
from pipeline.jobs import cancel
from pipeline.methods import method_named
from storage import CorruptRecordError, JobNotFoundError, JobRecord, JobStatus, JobStore
from storage.audit import AuditAction
from storage.clients import CLIENT_NAME

# The submitter lives with this router: GET /leibnic/{digits} submits through it as well.
router = APIRouter(prefix="/tasks", tags=["tasks"], lifespan=submitter_lifespan)

MAX_PAGE = 500
# The longest long poll (GET /tasks/{id}?wait=): proxies commonly cut idle requests at 60 s.
MAX_WAIT_SECONDS = 60


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskCreated,
    responses={**errors.SUBMIT, **REPLAYED},
)
async def create_task(
    body: TaskCreate,
    submission: SubmissionDep,
) -> TaskCreated:
    """Start computing pi to `digits` decimals (200 and the first job for a repeated
    Idempotency-Key)."""
    return await submit_job(submission, body.method, body.digits, body.callback_url)


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
        with contextlib.suppress(JobNotFoundError):
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
async def get_task(
    task_id: UUID,
    store: StoreDep,
    cache: ChunkCacheDep,
    answers: AnswerCacheDep,
    watcher: WatcherDep,
    wait: Annotated[
        float | None,
        Query(
            gt=0,
            le=MAX_WAIT_SECONDS,
            description="Answer once the task has ended, or after this many seconds with the "
            "task as it is then (a long poll)",
        ),
    ] = None,
) -> TaskPublic | Response:
    """Status, progress and, when done, the certified digits of one task."""
    if wait is not None:
        await wait_until_finished(watcher, str(task_id), wait)
    # The read waits on files, so it runs on a thread; a sync route would take a second
    # thread to check the answer against TaskPublic, the most polled route's largest cost.
    answer = await run_in_threadpool(read_task_answer, store, cache, answers, task_id)
    if isinstance(answer, bytes):
        return Response(answer, media_type="application/json")
    return answer


async def wait_until_finished(watcher: JobWatcher, job_id: str, seconds: float) -> None:
    """Return once the job has ended or ``seconds`` have passed (404 for an unknown job)."""
    deadline = time.monotonic() + seconds
    async with watcher.watch(job_id) as watch:
        version = watch.version
        while watch.task is not None and not watch.task.status.finished:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await watch.changed_after(version, remaining):
                return
            version = watch.version


@router.get(
    "/{task_id}/chunks",
    response_model=ChunkList,
    dependencies=[ReaderDep],
    responses=errors.READ_TASK,
)
def get_chunks(task_id: UUID, store: StoreDep, cache: ChunkCacheDep) -> ChunkList:
    """Progress of each chunk of a task, with the worker computing it."""
    job_id = str(task_id)
    job = store.get(job_id)
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
    job = store.get(str(task_id))
    return method_named(job.method).convergence(job, cache.job_chunks(store, job))


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
        job = store.get(job_id)
        require_owner(caller, job)
        cancel(store, job_id, job)
        done.result = "cancelled"
    return read_task(store, cache, task_id)
