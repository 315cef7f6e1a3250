"""Server-sent events: one task's progress and status changes, and every job's."""

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api import errors
from api.auth import ReaderDep
from api.chunk_cache import ChunkCache
from api.deps import ChunkCacheDep, StoreDep, WatcherDep
from api.event_stream import (
    BadEventIdError,
    StreamPosition,
    all_events,
    changed_after,
    job_events,
)
from api.reading import read_task
from api.schemas.tasks import TaskPublic
from storage import JobNotFoundError, JobStore

router = APIRouter(tags=["tasks"])

# How far back a resumed GET /events looks for jobs that ended while it was away.
RECENT_JOBS = 200
EventIdHeader = Annotated[str | None, Header(description="Resume after this event")]


def _stream(events: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        # Proxies must pass each event on as it comes (nginx buffers unless told not to).
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _position(last_event_id: str | None) -> StreamPosition:
    try:
        return StreamPosition.resumed_from(last_event_id)
    except BadEventIdError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


@router.get(
    "/tasks/{task_id}/events",
    response_class=StreamingResponse,
    dependencies=[ReaderDep],
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`status`, `progress` and `end` events, each with the brief task "
            "JSON; `Last-Event-ID` resumes",
        },
        **errors.READ_TASK,
    },
)
async def get_task_events(
    task_id: UUID,
    store: StoreDep,
    watcher: WatcherDep,
    last_event_id: EventIdHeader = None,
) -> StreamingResponse:
    """The task's status changes and progress as server-sent events, until it ends."""
    position = _position(last_event_id)
    # Known before the answer starts, so that an unknown task is a 404, not a broken stream;
    # the stream's first read is the watcher's (none when the job is watched already).
    if not watcher.watching(str(task_id)) and not store.exists(str(task_id)):
        raise JobNotFoundError(str(task_id))
    return _stream(job_events(watcher, str(task_id), position))


@router.get(
    "/events",
    response_class=StreamingResponse,
    dependencies=[ReaderDep],
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`status` and `progress` events of every unfinished job, each with "
            "the brief task JSON; `Last-Event-ID` resumes",
        },
        **errors.READ,
    },
)
async def get_events(
    store: StoreDep,
    cache: ChunkCacheDep,
    watcher: WatcherDep,
    last_event_id: EventIdHeader = None,
) -> StreamingResponse:
    """Every job's status changes, and the progress of those running, as server-sent events
    (the dashboard's feed); the current status of every unfinished job comes first."""
    position = _position(last_event_id)

    async def ended_since() -> list[TaskPublic]:
        if not position.last_id:
            return []
        return await run_in_threadpool(_ended_since, store, cache, position.last_id)

    return _stream(all_events(watcher, position, ended_since))


def _ended_since(store: JobStore, cache: ChunkCache, last_id: int) -> list[TaskPublic]:
    """The newest jobs that ended after the event ``last_id``, oldest first."""
    ended = []
    for job_id in store.page(None, None, 0, RECENT_JOBS)[0]:
        with contextlib.suppress(JobNotFoundError):
            task = read_task(store, cache, UUID(job_id), brief=True)
            if task.status.finished and changed_after(task, last_id):
                ended.append(task)
    return sorted(ended, key=lambda task: task.stoptime or task.pushqtime)
