import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.chunk_runner import Checkpoints, ChunkCancelledError, ChunkCompute, run_chunk
from pipeline.methods.leibniz.models import LeibnizChunk
from pipeline.methods.leibniz.runner import compute_chunk
from storage import ChunkRecord, ChunkSpec, JobStatus, JobStore
from tests.conftest import JobFactory
from tests.pipeline.methods.leibniz.sums import range_sum


def run_leibniz(store: JobStore, job_id: str, spec: ChunkSpec, **options: Any) -> ChunkRecord:
    """The generic runner with the plain series' compute, as a worker runs a chunk."""
    return run_chunk(store, job_id, spec, compute_chunk, **options)


def run_in_background(
    store: JobStore,
    job_id: str,
    spec: ChunkSpec,
    task_id: str | None = None,
    compute: ChunkCompute = compute_chunk,
) -> tuple[threading.Thread, list[BaseException]]:
    """Worker "a" computing the chunk in a thread; the list gets what it raised."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            run_chunk(
                store, job_id, spec, compute, worker="a", checkpoint_seconds=0.05, task_id=task_id
            )
        except BaseException as exc:
            errors.append(exc)

    # A daemon: a chunk still computing after a failed test does not hold pytest at exit.
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, errors


def test_chunk_writes_its_result_and_progress(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    spec = ChunkSpec(index=0, start=0, stop=2_000_000)
    job_id = new_job([(spec.start, spec.stop)]).id
    result = run_leibniz(store, job_id, spec, worker="w@test", checkpoint_seconds=0.2)
    expected = range_sum(0, 2_000_000)
    assert abs(Fraction(LeibnizChunk.of(result).partial) - Fraction(expected.value)) <= Fraction(
        LeibnizChunk.of(result).error_bound + expected.error_bound
    )
    record = store.get_chunk(job_id, 0)
    assert record is not None and record.finished
    assert record.worker == "w@test" and record.attempts == 1
    assert record.starttime is not None and record.stoptime is not None


def test_redelivered_chunk_resumes_from_its_checkpoint(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    start, stop, done = 1_000_000, 9_000_000, 4_000_000
    spec = ChunkSpec(index=0, start=start, stop=stop)
    job_id = new_job([(spec.start, spec.stop)]).id
    prefix = range_sum(start, start + done)
    # A checkpoint as a killed worker would have left it.
    store.save_chunk(
        job_id,
        ChunkRecord(
            index=0,
            start=start,
            stop=stop,
            terms_done=done,
            details=LeibnizChunk(partial=prefix.value, error_bound=prefix.error_bound).dumped(),
            attempts=1,
        ),
    )
    result = run_leibniz(store, job_id, spec, worker="w2@test", checkpoint_seconds=0.2)
    whole = range_sum(start, stop)
    assert abs(Fraction(LeibnizChunk.of(result).partial) - Fraction(whole.value)) <= Fraction(
        LeibnizChunk.of(result).error_bound + whole.error_bound
    )
    record = store.get_chunk(job_id, 0)
    assert record is not None and record.attempts == 2 and record.worker == "w2@test"


def test_duplicate_delivery_returns_the_stored_result(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    spec = ChunkSpec(index=0, start=0, stop=400_000)
    job_id = new_job([(spec.start, spec.stop)]).id
    first = run_leibniz(store, job_id, spec, worker="a", checkpoint_seconds=0.2)
    second = run_leibniz(store, job_id, spec, worker="b", checkpoint_seconds=0.2)
    assert first == second
    record = store.get_chunk(job_id, 0)
    assert record is not None and record.attempts == 1 and record.worker == "a"


def test_cancelled_job_never_starts_a_chunk(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    spec = ChunkSpec(index=0, start=0, stop=400_000)
    job_id = new_job([(spec.start, spec.stop)]).id
    store.request_cancel(job_id)
    with pytest.raises(ChunkCancelledError):
        run_leibniz(store, job_id, spec, worker="a", checkpoint_seconds=0.2)
    assert store.get_chunk(job_id, 0) is None


def test_running_chunk_stops_at_its_next_checkpoint(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    # Minutes of work however fast the kernel runs: only the cancel can end it in time.
    spec = ChunkSpec(index=0, start=0, stop=6_000_000_000_000)
    job_id = new_job([(spec.start, spec.stop)]).id
    thread, errors = run_in_background(store, job_id, spec)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        record = store.get_chunk(job_id, 0)
        if record is not None and record.terms_done > 0:
            break
        time.sleep(0.01)
    cancelled_at = time.monotonic()
    store.request_cancel(job_id)
    thread.join(timeout=30)
    assert time.monotonic() - cancelled_at < 2
    assert len(errors) == 1 and isinstance(errors[0], ChunkCancelledError)
    record = store.get_chunk(job_id, 0)
    assert record is not None and record.status is JobStatus.REVOKED
    assert 0 < record.terms_done < spec.terms


class LockWatchingStore(JobStore):
    """The store as one delivery sees it, calling ``reached`` as it goes for a chunk's lock."""

    def __init__(self, state_dir: Path, reached: Callable[[], None]) -> None:
        super().__init__(state_dir)
        self._reached = reached

    @contextmanager
    def chunk_lock(self, job_id: str, index: int) -> Iterator[None]:
        self._reached()
        with super().chunk_lock(job_id, index):
            yield


def test_second_delivery_of_a_running_task_waits_for_its_result(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    spec = ChunkSpec(index=0, start=0, stop=400_000)
    job_id = new_job([(spec.start, spec.stop)]).id
    at_work, go_on = threading.Event(), threading.Event()

    def held_at_work(record: ChunkRecord, checkpoints: Checkpoints) -> ChunkRecord:
        # The first delivery has claimed the chunk and holds its lock until the second one
        # reaches that lock, whatever the kernel's speed.
        at_work.set()
        assert go_on.wait(30)
        return compute_chunk(record, checkpoints)

    thread, errors = run_in_background(store, job_id, spec, task_id="lane-0", compute=held_at_work)
    try:
        assert at_work.wait(30)
        # The same message again (a redelivery while the first is still alive): it waits for
        # the first and returns its result instead of stepping aside, so that the lane goes
        # on even when the first delivery is the one being cut off.
        second = run_leibniz(
            LockWatchingStore(state_dir, go_on.set),
            job_id,
            spec,
            worker="b",
            checkpoint_seconds=0.05,
            task_id="lane-0",
        )
    finally:
        go_on.set()
        thread.join(timeout=60)
    assert errors == []
    record = store.get_chunk(job_id, 0)
    assert record is not None and record.finished
    assert record.worker == "a" and record.attempts == 1
    assert second == record


def test_redelivery_after_its_twin_died_resumes_the_chunk(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    spec = ChunkSpec(index=0, start=0, stop=400_000)
    job_id = new_job([(spec.start, spec.stop)]).id
    # The twin's checkpoint, with its lock gone with its process.
    store.save_chunk(
        job_id, ChunkRecord(index=0, start=0, stop=400_000, task_id="lane-0", attempts=1)
    )
    run_leibniz(store, job_id, spec, worker="b", checkpoint_seconds=0.2, task_id="lane-0")
    record = store.get_chunk(job_id, 0)
    assert record is not None and record.finished and record.attempts == 2
