"""Server-sent events: one task's progress and status changes."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, status
from fastapi.responses import StreamingResponse

from api import errors
from api.auth import ReaderDep
from api.deps import StoreDep, WatcherDep
from api.event_stream import BadEventIdError, StreamPosition, job_events
from api.reading import no_such_task

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get(
    "/{task_id}/events",
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
    last_event_id: Annotated[str | None, Header(description="Resume after this event")] = None,
) -> StreamingResponse:
    """The task's status changes and progress as server-sent events, until it ends."""
    try:
        position = StreamPosition.resumed_from(last_event_id)
    except BadEventIdError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    # Known before the answer starts, so that an unknown task is a 404, not a broken stream;
    # the stream's first read is the watcher's (none when the job is watched already).
    if not watcher.watching(str(task_id)) and not store.exists(str(task_id)):
        raise no_such_task(str(task_id))
    return StreamingResponse(
        job_events(watcher, str(task_id), position),
        media_type="text/event-stream",
        # Proxies must pass each event on as it comes (nginx buffers unless told not to).
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
