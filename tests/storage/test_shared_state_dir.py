"""What the job store needs from its state dir, exercised by several processes at once.

Workers on other hosts share the state dir over a network file system; these are the guarantees
it must give them (docs/operations/docker.md, "Beyond one host"): an atomic rename, an
exclusive create, a lock that excludes other processes and dies with its holder, and
close-to-open consistency.
"""

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

from storage import ChunkRecord, JobStore
from storage.atomic import create_exclusive, write_bytes_atomic
from tests.conftest import JobFactory

# fork: the children need only what this module already imported, and start in milliseconds.
CONTEXT = multiprocessing.get_context("fork")
PROCESSES = 4
JOIN_SECONDS = 60


def run_all(*calls: tuple[Callable[..., None], tuple[Any, ...]]) -> None:
    """Run each (function, args) in a process of its own; every one must exit 0."""
    procs = [CONTEXT.Process(target=target, args=args) for target, args in calls]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(JOIN_SECONDS)
    codes = [proc.exitcode for proc in procs]
    assert codes == [0] * len(procs), f"exit codes {codes} (None: still running)"


# -- atomic rename -------------------------------------------------------------------------
FILL = 8192  # repeats of a 10-byte stamp: 80 KiB, more than one write() or page


def _stamp(writer: int, round_: int) -> bytes:
    return f"{writer:02d}-{round_:07d}".encode() * FILL


def _replace_many(path: Path, writer: int, rounds: int, start: Barrier) -> None:
    start.wait()
    for round_ in range(rounds):
        write_bytes_atomic(path, _stamp(writer, round_), durable=False)


def _read_whole(path: Path, stop: Event, start: Barrier) -> None:
    start.wait()
    reads = 0
    while not stop.is_set() or reads < 100:
        # The name always exists: os.replace swaps it in one step, never removes it first.
        data = path.read_bytes()
        if len(data) != 10 * FILL or data != data[:10] * FILL:
            os._exit(3)  # a torn or mixed file
        reads += 1


def test_replace_shows_every_reader_a_whole_file_while_several_processes_write(
    state_dir: Path,
) -> None:
    path = state_dir / "record"
    write_bytes_atomic(path, _stamp(99, 0))
    start, stop = CONTEXT.Barrier(PROCESSES + 2), CONTEXT.Event()
    readers = [CONTEXT.Process(target=_read_whole, args=(path, stop, start)) for _ in range(2)]
    for reader in readers:
        reader.start()
    run_all(*((_replace_many, (path, w, 150, start)) for w in range(PROCESSES)))
    stop.set()
    for reader in readers:
        reader.join(JOIN_SECONDS)
    assert [r.exitcode for r in readers] == [0, 0]
    assert path.read_bytes()[:10].endswith(b"-0000149")
    assert sorted(p.name for p in state_dir.iterdir()) == ["record"]  # no temp file left


# -- exclusive create ----------------------------------------------------------------------
MARKERS = 300


def _claim(folder: Path, results: Path, start: Barrier) -> None:
    start.wait()
    won = [i for i in range(MARKERS) if create_exclusive(folder / f"fired-{i}")]
    write_bytes_atomic(results / str(os.getpid()), " ".join(map(str, won)).encode())


def test_exclusive_create_has_exactly_one_winner_per_marker(state_dir: Path) -> None:
    # The result backend fires a chord's body only from the process that created `fired`.
    markers, results = state_dir / "markers", state_dir / "results"
    markers.mkdir()
    results.mkdir()
    start = CONTEXT.Barrier(PROCESSES)
    run_all(*((_claim, (markers, results, start)) for _ in range(PROCESSES)))
    won = [int(i) for f in results.iterdir() for i in f.read_text().split()]
    assert sorted(won) == list(range(MARKERS))


# -- the lock ------------------------------------------------------------------------------
INCREMENTS = 40


def _count_rounds(state_dir: Path, job_id: str, start: Barrier) -> None:
    store = JobStore(state_dir)
    start.wait()
    for _ in range(INCREMENTS):
        store.update(job_id, lambda job: job.model_copy(update={"rounds": job.rounds + 1}))


def test_locked_updates_from_several_processes_lose_nothing(
    state_dir: Path, new_job: JobFactory
) -> None:
    # update() is read, change, replace under flock: without the lock, increments get lost.
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    start = CONTEXT.Barrier(PROCESSES)
    run_all(*((_count_rounds, (state_dir, job.id, start)) for _ in range(PROCESSES)))
    assert store.get(job.id).rounds == job.rounds + PROCESSES * INCREMENTS


def _hold_chunk_lock(state_dir: Path, job_id: str, holding: Event) -> None:
    with JobStore(state_dir).chunk_lock(job_id, 0):
        holding.set()
        time.sleep(JOIN_SECONDS)


def test_a_lock_held_by_a_killed_process_is_released(state_dir: Path, new_job: JobFactory) -> None:
    # A worker killed mid-chunk must not keep its chunk "running" for ever.
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    holding = CONTEXT.Event()
    holder = CONTEXT.Process(target=_hold_chunk_lock, args=(state_dir, job.id, holding))
    holder.start()
    try:
        assert holding.wait(JOIN_SECONDS)
        assert store.chunk_running(job.id, 0)
    finally:
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(JOIN_SECONDS)
    assert not store.chunk_running(job.id, 0)


# -- admission -----------------------------------------------------------------------------
LIMIT = 50


def _refused_past_limit(pending: int) -> None:
    if pending >= LIMIT:
        raise OverflowError(pending)


def _submit_many(state_dir: Path, new_job: JobFactory, start: Barrier) -> None:
    store = JobStore(state_dir)
    start.wait()
    for _ in range(LIMIT):
        with contextlib.suppress(OverflowError):
            store.create(new_job(store=False), _refused_past_limit)


def test_admission_across_processes_takes_exactly_the_last_free_places(
    state_dir: Path, new_job: JobFactory
) -> None:
    # Four processes, each trying for every place: the bound they share in the lock file
    # must let exactly LIMIT jobs in, and no refused job may stay.
    start = CONTEXT.Barrier(PROCESSES)
    run_all(*((_submit_many, (state_dir, new_job, start)) for _ in range(PROCESSES)))
    store = JobStore(state_dir)
    assert store.pending_count() == LIMIT
    assert sorted(path.name for path in (state_dir / "jobs").iterdir()) == sorted(
        store.pending_ids()
    )


# -- close-to-open -------------------------------------------------------------------------
def _save_and_tell(state_dir: Path, job_id: str, tell: Connection) -> None:
    store = JobStore(state_dir)
    for index in range(50):
        store.save_chunk(
            job_id, ChunkRecord(index=index, start=index, stop=index + 1, terms_done=1)
        )
        tell.send(index)
    tell.close()


def _list_when_told(state_dir: Path, job_id: str, told: Connection) -> None:
    store = JobStore(state_dir)
    for expected in range(50):
        index = told.recv()
        # What a reducer on another host does after the chord fires: list the chunks folder
        # and open every record; each one closed before the message was sent must be there.
        seen = store.chunks(job_id)
        if not set(range(index + 1)) <= set(seen) or seen[index].terms_done != 1:
            os._exit(3)
        assert index == expected


def test_a_record_closed_by_one_process_is_seen_by_the_next_open_in_another(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    told, tell = CONTEXT.Pipe(duplex=False)
    run_all(
        (_save_and_tell, (state_dir, job.id, tell)), (_list_when_told, (state_dir, job.id, told))
    )
