"""Handing a dispatch's chunks out one claim at a time, and taking back a dead claimer's."""

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.claims import Claims
from tests.conftest import JobFactory
from tests.small_disk import fill_inodes, mounted_tmpfs


def finish(store: JobStore, job: JobRecord, index: int) -> None:
    spec = job.chunks[index]
    store.save_chunk(
        job.id,
        ChunkRecord(
            index=index,
            start=spec.start,
            stop=spec.stop,
            status=JobStatus.SUCCESS,
            terms_done=spec.stop - spec.start,
        ),
    )


def ranges(count: int) -> list[tuple[int, int]]:
    return [(2 * i, 2 * i + 2) for i in range(count)]


def one_chunk_claims(state_dir: Path, new_job: JobFactory) -> Claims:
    claims = JobStore(state_dir).claims(new_job(ranges(1)).id, 1)
    claims.open([0])
    return claims


def test_claims_hand_out_each_chunk_once_in_order(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(ranges(4))
    claims = store.claims(job.id, 1)
    claims.open([0, 1, 2, 3])
    with claims.claim() as first, claims.claim() as second, claims.claim() as third:
        assert first is not None and second is not None and third is not None
        assert [first.index, second.index, third.index] == [0, 1, 2]
        assert first.more and second.more and third.more
        # Every chunk is held by a live claimer: nothing is left to claim.
        with claims.claim() as fourth:
            assert fourth is not None and fourth.index == 3 and not fourth.more
            with claims.claim() as none:
                assert none is None


def test_the_first_dispatchs_book_opens_itself_with_the_first_round(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    first_round = [ChunkSpec(index=i, start=2 * i, stop=2 * i + 2) for i in range(2)]
    later = ChunkSpec(index=2, start=4, stop=6, round=2)
    job = new_job(ranges(3), chunks=[*first_round, later])
    claims = store.claims(job.id, 1)
    assert not claims.exists() and claims.unclaimed_left()
    with claims.claim() as first, claims.claim() as second, claims.claim() as third:
        assert first is not None and first.index == 0 and first.more
        assert second is not None and second.index == 1 and not second.more
        assert third is None  # the second round's chunk is not the first dispatch's
    book = claims.read()
    assert book is not None and book.indices == [0, 1] and not claims.unclaimed_left()
    # A later dispatch's book is opened by whoever dispatches it: none, nothing to claim.
    later_claims = store.claims(job.id, 2)
    with later_claims.claim() as none:
        assert none is None and not later_claims.exists()


def test_finished_chunks_are_skipped_and_pruned(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(ranges(3))
    finish(store, job, 0)
    claims = store.claims(job.id, 2)
    claims.open([0, 1, 2])
    with claims.claim() as claim:
        assert claim is not None and claim.index == 1
        finish(store, job, 1)
    with claims.claim() as claim:
        assert claim is not None and claim.index == 2 and not claim.more
    book = claims.read()
    assert book is not None and book.cursor == 3 and book.open == [2]


def test_a_chunk_released_unfinished_is_claimed_again_first(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    job = new_job(ranges(3))
    claims = store.claims(job.id, 1)
    claims.open([0, 1, 2])
    with claims.claim() as claim:
        assert claim is not None and claim.index == 0
    # The claimer let go without finishing (its task was rejected back to the queue).
    with claims.claim() as again:
        assert again is not None and again.index == 0 and again.more


def _claim_and_hang(state_dir: Path, job_id: str, ready: "multiprocessing.Event") -> None:
    claims = JobStore(state_dir).claims(job_id, 1)
    with claims.claim() as claim:
        assert claim is not None
        ready.set()
        signal.pause()


def test_a_killed_claimers_chunk_is_taken_over(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(ranges(2))
    claims = store.claims(job.id, 1)
    claims.open([0, 1])
    ready = multiprocessing.get_context("fork").Event()
    claimer = multiprocessing.get_context("fork").Process(
        target=_claim_and_hang, args=(state_dir, job.id, ready)
    )
    claimer.start()
    try:
        assert ready.wait(30)
        with claims.claim() as claim:
            # Chunk 0 is held by a live process: the next one is ours.
            assert claim is not None and claim.index == 1
        os.kill(claimer.pid or 0, signal.SIGKILL)
        claimer.join(30)
        with claims.claim() as claim:
            assert claim is not None and claim.index == 0
    finally:
        if claimer.is_alive():
            claimer.kill()


def test_a_book_that_was_never_opened_gives_no_claim(state_dir: Path, new_job: JobFactory) -> None:
    job = new_job(ranges(1))
    claims = JobStore(state_dir).claims(job.id, 7)
    assert not claims.exists()
    with claims.claim() as claim:
        assert claim is None


def test_a_second_delivery_of_a_running_ticket_is_told_so(
    state_dir: Path, new_job: JobFactory
) -> None:
    claims = one_chunk_claims(state_dir, new_job)
    with claims.ticket("t-1") as first:
        assert first is not None
        with claims.ticket("t-1") as second, claims.ticket("t-2") as other:
            assert second is None and other is not None
    with claims.ticket("t-1") as after:
        assert after is not None


def test_a_ticket_that_computed_is_done_for_every_later_delivery(
    state_dir: Path, new_job: JobFactory
) -> None:
    claims = one_chunk_claims(state_dir, new_job)
    with claims.ticket("t-1") as first:
        assert first is not None and not first.done
        first.finish()
    with claims.ticket("t-1") as again, claims.ticket("t-2") as other:
        assert again is not None and again.done
        assert other is not None and not other.done


def test_a_claim_whose_book_cannot_be_written_lets_go_of_its_chunk(
    tmp_path: Path, new_job: JobFactory
) -> None:
    """A full disk fails the book's write after the chunk's lock was taken: the lock must
    be let go, or the live process would hold the chunk and no claim could ever take it."""
    with mounted_tmpfs(tmp_path / "disk", "size=4m,nr_inodes=200") as disk:
        store = JobStore(disk / "state")
        job = new_job(ranges(2), store=False)
        store.create(job)
        claims = store.claims(job.id, 1)
        claims.open([0, 1])
        with claims.claim() as first:
            assert first is not None and first.index == 0
        finish(store, job, 0)
        assert not store.chunk_running(job.id, 1)  # its lock file exists from here on
        fillers = fill_inodes(disk, 0)
        with pytest.raises(OSError, match="No space left"), claims.claim():
            pass
        assert not store.chunk_running(job.id, 1)
        for filler in fillers:
            filler.unlink()
        with claims.claim() as second:
            assert second is not None and second.index == 1
