"""Server-sent events from the job watcher: one job's (``GET /tasks/{id}/events``), and every
unfinished job's (``GET /events``, for the dashboard).

``event: status`` on each change of status, ``event: progress`` at most every
PROGRESS_SECONDS while the progress changes, ``event: end`` after a terminal status (then the
stream closes), and a ``: keepalive`` comment after KEEPALIVE_SECONDS without an event. Each
event's data is the brief task JSON.

Event ids carry where the client is, so that ``Last-Event-ID`` resumes on any API process
without repeating: the id is a time in milliseconds times ten plus the rank of the status
the client has been sent (WAITING 1, PROGRESS 2, ended 3). A resumed stream sends a status
event only for a status of higher rank, and every id is above the one it resumes from.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi.sse import format_sse_event

from api.job_watcher import JobWatcher, Watch
from api.schemas.tasks import Progress, TaskPublic
from storage import JobStatus

PROGRESS_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
KEEPALIVE = format_sse_event(comment="keepalive")

_RANK = {JobStatus.WAITING: 1, JobStatus.PROGRESS: 2}
_ENDED = 3


class BadEventIdError(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"Last-Event-ID {value!r} is not an id this stream sent; reconnect without it"
        )


def status_rank(status: JobStatus) -> int:
    return _ENDED if status.finished else _RANK[status]


@dataclass
class StreamPosition:
    """The last event id a client was sent, and the status rank it had."""

    last_id: int = 0
    rank: int = 0

    @classmethod
    def resumed_from(cls, last_event_id: str | None) -> "StreamPosition":
        if last_event_id is None:
            return cls()
        if not last_event_id.isdigit() or int(last_event_id) % 10 > _ENDED:
            raise BadEventIdError(last_event_id)
        value = int(last_event_id)
        return cls(value, value % 10)

    def next_id(self, rank: int) -> str:
        millis = max(time.time_ns() // 1_000_000, self.last_id // 10 + 1)
        self.last_id, self.rank = millis * 10 + rank, rank
        return str(self.last_id)


def _event(name: str, watch: Watch, event_id: str) -> bytes:
    return format_sse_event(event=name, data_str=watch.task_json, id=event_id)


async def job_events(
    watcher: JobWatcher, job_id: str, position: StreamPosition
) -> AsyncIterator[bytes]:
    async with watcher.watch(job_id, progress=True) as watch:
        async for chunk in _events(watch, position):
            yield chunk


async def _events(watch: Watch, position: StreamPosition) -> AsyncIterator[bytes]:
    shown: Progress | None = None
    progress_due = 0.0
    while True:
        task, version = watch.task, watch.version
        assert task is not None  # the watch was read before the stream began
        rank = status_rank(task.status)
        if rank > position.rank:
            yield _event("status", watch, position.next_id(rank))
            if task.status.finished:
                yield _event("end", watch, position.next_id(rank))
                return
            shown, progress_due = task.progress, time.monotonic() + PROGRESS_SECONDS
        elif task.status.finished:
            return  # resumed after its end: the client has been sent everything
        elif task.progress != shown and shown is not None:
            wait = progress_due - time.monotonic()
            if wait > 0:
                # Too soon after the last one: the newest progress goes out when it is due.
                await asyncio.sleep(wait)
                continue
            yield _event("progress", watch, position.next_id(rank))
            shown, progress_due = task.progress, time.monotonic() + PROGRESS_SECONDS
        else:
            shown = task.progress
        if not await watch.changed_after(version, KEEPALIVE_SECONDS):
            yield KEEPALIVE


def _changed_at(task: TaskPublic) -> datetime | None:
    """When the task took its present status."""
    if task.status.finished:
        return task.stoptime
    return task.starttime if task.status is JobStatus.PROGRESS else task.pushqtime


def changed_after(task: TaskPublic, last_id: int) -> bool:
    """Whether the task's present status is newer than the event ``last_id``."""
    moment = _changed_at(task)
    return moment is None or moment.timestamp() * 1000 > last_id // 10


async def all_events(
    watcher: JobWatcher,
    position: StreamPosition,
    ended_since: Callable[[], Awaitable[list[TaskPublic]]],
) -> AsyncIterator[bytes]:
    """Every unfinished job's status changes and progress, and the endings of the jobs it
    follows; ``ended_since``: the jobs that ended since the event a resumed stream was sent
    last."""
    resumed = position.last_id
    async with watcher.follow_all() as everything:
        # Listed once the unfinished jobs are followed: a job that ends in between is then
        # followed, listed, or both (and sent once), never neither.
        recent = await ended_since()
        for ended in recent:
            data = ended.model_dump_json()
            yield format_sse_event(event="status", data_str=data, id=position.next_id(0))
        sent: dict[str, tuple[int, Progress | None]] = {
            ended.id: (_ENDED, None) for ended in recent
        }
        while True:
            version = everything.version
            for job_id, watch in list(everything.watches.items()):
                task = watch.task
                if task is None:
                    continue
                rank, last = status_rank(task.status), sent.get(job_id)
                if last is None and resumed and not changed_after(task, resumed):
                    sent[job_id] = (rank, task.progress)  # the client had this status
                elif last is None or rank > last[0]:
                    yield _event("status", watch, position.next_id(0))
                    sent[job_id] = (rank, task.progress)
                elif task.progress != last[1] and not task.status.finished:
                    yield _event("progress", watch, position.next_id(0))
                    sent[job_id] = (rank, task.progress)
            for job_id in set(sent) - set(everything.watches):
                del sent[job_id]
            if not await everything.changed_after(version, KEEPALIVE_SECONDS):
                yield KEEPALIVE
