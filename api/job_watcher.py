"""One shared poll of the job store for every request in this API process that waits on a
job: long polls (``GET /tasks/{id}?wait=``) and event streams (``GET /tasks/{id}/events``,
and ``GET /events``, which follows every unfinished job).

Workers on other hosts write the state dir, where change notifications (inotify) would miss
their writes on a network file system, so the watcher polls, for all waiters at once: every
``poll_seconds`` it stats the record of each job someone waits on (an ending is seen within
that time), and every ``progress_seconds`` also the chunk files of jobs whose progress is
streamed. A job whose files changed is read again once, on one thread, for all its waiters;
a waiter is a coroutine on an ``asyncio.Event``, never a thread.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID

from api.chunk_cache import ChunkCache
from api.reading import read_task
from api.schemas.tasks import TaskPublic
from storage import JobNotFoundError, JobStore, Stamp

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Changes:
    """A version that grows with every change, and a way to wait for the next one."""

    version: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def changed_after(self, version: int, timeout: float) -> bool:
        """Wait until the version passes ``version``; False after ``timeout`` seconds."""
        while self.version <= version:
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                return False
        return True

    def _bump(self) -> None:
        self.version += 1
        # A new event for the next change; everyone waiting on this one wakes now.
        event, self._changed = self._changed, asyncio.Event()
        event.set()


@dataclass(eq=False)
class Watch(Changes):
    """What the watcher knows of one job: its brief task as last read."""

    job_id: str = ""
    waiters: int = 0
    streams: int = 0
    task: TaskPublic | None = None
    # The task as JSON, made once per change for every stream that sends it.
    task_json: str = ""
    record_stamp: Stamp | None = None
    chunk_stamps: dict[int, Stamp] = field(default_factory=dict)

    def _publish(self, task: TaskPublic) -> None:
        self.task = task
        self.task_json = task.model_dump_json()
        self._bump()


# A watch whose job changed: its record's stamp, its chunks' stamps and its brief task.
Change = tuple[Watch, Stamp | None, dict[int, Stamp], TaskPublic]


@dataclass(eq=False)
class AllJobs(Changes):
    """The watches of every unfinished job (and of each until its ending has been seen)."""

    watches: dict[str, Watch] = field(default_factory=dict)


class JobWatcher:
    def __init__(
        self,
        store: JobStore,
        cache: ChunkCache,
        poll_seconds: float = 0.05,
        progress_seconds: float = 0.5,
    ) -> None:
        self._store = store
        self._cache = cache
        self.poll_seconds = poll_seconds
        self.progress_seconds = progress_seconds
        self._watches: dict[str, Watch] = {}
        self._runner: asyncio.Task[None] | None = None
        self._progress_due = 0.0
        self._all = AllJobs()
        self._followers = 0

    def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    @property
    def watched(self) -> int:
        return len(self._watches)

    def watching(self, job_id: str) -> bool:
        return job_id in self._watches

    @contextlib.asynccontextmanager
    async def watch(self, job_id: str, *, progress: bool = False) -> AsyncIterator[Watch]:
        """The job's watch while the block runs, read once before it starts (raises what
        reading the job raises: JobNotFoundError for an unknown one); ``progress``: its chunks
        too."""
        watch = self._watches.get(job_id)
        if watch is None:
            watch = self._watches[job_id] = Watch(job_id=job_id)
        watch.waiters += 1
        watch.streams += progress
        try:
            if watch.task is None:
                self._publish(await asyncio.to_thread(self._read, [watch], True, strict=True))
            yield watch
        finally:
            self._release(watch, progress)

    def _release(self, watch: Watch, progress: bool) -> None:
        watch.waiters -= 1
        watch.streams -= progress
        if watch.waiters == 0:
            self._watches.pop(watch.job_id, None)

    @contextlib.asynccontextmanager
    async def follow_all(self) -> AsyncIterator[AllJobs]:
        """Every unfinished job's watch, kept up to date while the block runs."""
        self._followers += 1
        try:
            await self._follow_pending()
            yield self._all
        finally:
            self._followers -= 1
            if not self._followers:
                for watch in self._all.watches.values():
                    self._release(watch, True)
                self._all.watches.clear()

    async def _follow_pending(self) -> None:
        """Watch the jobs newly marked pending; let go of those whose ending was seen."""
        pending = set(await asyncio.to_thread(self._store.pending_ids))
        followed = self._all.watches
        for job_id, watch in list(followed.items()):
            if job_id not in pending and (watch.task is None or watch.task.status.finished):
                self._release(followed.pop(job_id), True)
        new = [job_id for job_id in pending if job_id not in followed]
        for job_id in new:
            watch = self._watches.setdefault(job_id, Watch(job_id=job_id))
            watch.waiters += 1
            watch.streams += 1
            followed[job_id] = watch
        unread = [followed[job_id] for job_id in new if followed[job_id].task is None]
        if unread:
            self._publish(await asyncio.to_thread(self._read, unread, True))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                if self._followers:
                    await self._follow_pending()
                watches = [w for w in self._watches.values() if w.task is not None]
                if not watches:
                    continue
                now = time.monotonic()
                with_chunks = now >= self._progress_due
                if with_chunks:
                    self._progress_due = now + self.progress_seconds
                self._publish(await asyncio.to_thread(self._read, watches, with_chunks))
            except Exception:
                # A bad moment of the file system must not end every stream for good.
                logger.exception("job watcher: reading the watched jobs failed")

    def _publish(self, found: list[Change]) -> None:
        for watch, stamp, stamps, task in found:
            watch.record_stamp, watch.chunk_stamps = stamp, stamps
            watch._publish(task)
        if found and self._followers:
            self._all._bump()

    def _read(self, watches: list[Watch], with_chunks: bool, strict: bool = False) -> list[Change]:
        """The watches whose job changed, each with its new stamps and brief task (on a
        thread: this waits on the file system). A job that cannot be found is left out, or
        with ``strict`` raises JobNotFoundError."""
        found = []
        for watch in watches:
            stamp = self._store.record_stamp(watch.job_id)
            stamps = watch.chunk_stamps
            if with_chunks and watch.streams and not _finished(watch):
                stamps = self._store.chunk_stamps(watch.job_id)
            unchanged = stamp == watch.record_stamp and stamps == watch.chunk_stamps
            # A job removed meanwhile (retention) leaves its waiters what they had.
            if watch.task is not None and (unchanged or stamp is None):
                continue
            try:
                task = read_task(self._store, self._cache, UUID(watch.job_id), brief=True)
            except JobNotFoundError:
                if strict:
                    raise
                continue
            found.append((watch, stamp, stamps, task))
        return found


def _finished(watch: Watch) -> bool:
    return watch.task is not None and watch.task.status.finished
