"""Hold a worker still: its pool processes stopped with SIGSTOP, so a chunk stays mid-run and a
job stays unfinished for as long as a test needs, however fast the kernel is.

Only the pool processes stop: the worker's main process keeps its broker connection, answers
inspections and takes signals. Stopped processes keep their chunk locks, so the API still
shows them at work. Everything is continued (SIGCONT) when the block ends, also after a
failure; a process killed meanwhile is skipped.
"""

import os
import signal
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

from storage import ChunkRecord, JobStatus, JobStore

# Locks that API requests or other workers wait for: a pool process stopped while it holds
# one would hang them (a chunk's own lock, or a ticket's, is never waited for). A claim book's
# lock is ``claims/d<n>.lock``.
_SHARED_LOCKS = ("job.lock", "admission.lock")
_SHARED_LOCK_FOLDERS = ("claims",)


# One worker's main process, or several (the workers of a whole compose stack, by host pid).
Workers = int | Collection[int]


def pool_processes(workers: Workers) -> list[psutil.Process]:
    """The pool processes of the Celery workers whose main processes are ``workers``."""
    pids = (workers,) if isinstance(workers, int) else tuple(workers)
    return [child for pid in pids for child in psutil.Process(pid).children()]


def _open_paths(process: psutil.Process) -> list[Path]:
    """The files ``process`` has open; none once it is gone."""
    try:
        return [Path(f.path) for f in process.open_files()]
    except psutil.NoSuchProcess:
        return []


def _holds_shared_lock(process: psutil.Process) -> bool:
    return any(
        path.name in _SHARED_LOCKS
        or (path.parent.name in _SHARED_LOCK_FOLDERS and path.suffix == ".lock")
        for path in _open_paths(process)
    )


def pool_process_opening(workers: Workers, name: str, timeout: float = 60) -> psutil.Process:
    """The first of the workers' pool processes seen with a file named ``name`` open (a lock
    it holds or waits for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in pool_processes(workers):
            if any(path.name == name for path in _open_paths(process)):
                return process
        time.sleep(0.01)
    raise AssertionError(f"no pool process of {workers} opened {name} within {timeout} s")


def _signal_all(processes: list[psutil.Process], signum: int) -> None:
    for process in processes:
        with suppress(ProcessLookupError):
            os.kill(process.pid, signum)


def _stopped(process: psutil.Process) -> bool:
    try:
        return process.status() in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _stop(processes: list[psutil.Process], deadline: float) -> None:
    _signal_all(processes, signal.SIGSTOP)
    # SIGSTOP takes effect asynchronously: wait until the kernel shows every one stopped.
    while not all(map(_stopped, processes)):
        assert time.monotonic() < deadline, "a pool process did not stop"
        time.sleep(0.001)


@contextmanager
def pool_paused(workers: Workers, timeout: float = 30) -> Iterator[list[psutil.Process]]:
    """The workers' pool processes stopped inside the block, continued after it."""
    processes = pool_processes(workers)
    assert processes, f"worker {workers} has no pool processes"
    deadline = time.monotonic() + timeout
    try:
        _stop(processes, deadline)
        # Caught between opening and closing a job record's lock: let it finish the update.
        while any(map(_holds_shared_lock, processes)):
            assert time.monotonic() < deadline, "a pool process kept holding a job's lock"
            _signal_all(processes, signal.SIGCONT)
            time.sleep(0.005)
            _stop(processes, deadline)
        yield processes
    finally:
        _signal_all(processes, signal.SIGCONT)


@contextmanager
def paused_when(
    workers: Workers, ready: Callable[[], bool], what: str, timeout: float = 60
) -> Iterator[None]:
    """Waits until ``ready()``, then stops the workers' pools and asks again: the block runs
    once it is true with the pool stopped, so that what the pool would change stays as it
    is until the block ends."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        if ready():
            with pool_paused(workers):
                # Asked again with the pool stopped: it may have moved on meanwhile.
                if ready():
                    yield
                    return
        time.sleep(0.005)


@contextmanager
def paused_mid_chunk(
    store: JobStore, job_id: str, worker_pid: int, *, chunks_done: int = 0, timeout: float = 60
) -> Iterator[ChunkRecord]:
    """Waits until the worker's pool computes one of the job's chunks, with at least
    ``chunks_done`` of them finished, then stops the pool with that chunk unfinished and
    yields its record (``pid`` is the process computing it). The job can neither finish nor
    progress until the block ends."""
    held: list[ChunkRecord] = []

    def ready() -> bool:
        pids = {p.pid for p in pool_processes(worker_pid)}
        held[:] = _running_chunks(store, job_id, pids, chunks_done)
        return bool(held)

    what = f"a chunk of job {job_id} to run with {chunks_done} done"
    with paused_when(worker_pid, ready, what, timeout):
        yield held[0]


def _running_chunks(
    store: JobStore, job_id: str, pids: set[int], chunks_done: int
) -> list[ChunkRecord]:
    """The job's chunks that one of ``pids`` computes, holding the chunk's lock; none unless
    ``chunks_done`` of them are finished."""
    chunks = store.chunks(job_id).values()
    if sum(record.finished for record in chunks) < chunks_done:
        return []
    return [
        record
        for record in chunks
        if record.pid in pids
        and record.status is JobStatus.PROGRESS
        and not record.finished
        and store.chunk_running(job_id, record.index)
    ]
