"""A plain Leibniz job's reducer: certify once, or grow the series by a round."""

from pathlib import Path

import pytest

from pipeline.chunk_planner import ChunkPlanner
from pipeline.methods.leibniz.models import LeibnizChunk
from pipeline.methods.leibniz.reducer import reduce_job
from pipeline.rounds import IncompleteJobError
from storage import ChunkRecord, JobStatus, JobStore
from tests.conftest import JobFactory
from tests.pipeline.methods.leibniz.sums import range_sum

SPLIT = ChunkPlanner(chunk_terms=1000, parallelism=2).split


def finish_chunks(store: JobStore, job_id: str) -> None:
    for spec in store.get(job_id).chunks:
        if store.get_chunk(job_id, spec.index) is None:
            chunk = range_sum(spec.start, spec.stop)
            store.save_chunk(
                job_id,
                ChunkRecord(
                    index=spec.index,
                    start=spec.start,
                    stop=spec.stop,
                    status=JobStatus.SUCCESS,
                    terms_done=spec.terms,
                    details=LeibnizChunk(
                        partial=chunk.value, error_bound=chunk.error_bound
                    ).dumped(),
                ),
            )


def test_certified_job_succeeds_once(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job_id = new_job(SPLIT(0, 2600), digits=3).id
    finish_chunks(store, job_id)
    assert reduce_job(store, job_id, SPLIT) is None
    job = store.get(job_id)
    assert (
        job.status is JobStatus.SUCCESS
        and store.digits(store.get(job_id)) == "3.141"
        and job.verified
    )
    assert job.certificate is not None and job.certificate.rounds == 1
    assert job.certificate.lower < "3.1415926" < job.certificate.upper
    stopped = job.stoptime
    assert reduce_job(store, job_id, SPLIT) is None  # a duplicate body changes nothing
    assert store.get(job_id).stoptime == stopped


def test_too_few_terms_extends_in_rounds_until_certified(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    job_id = new_job(SPLIT(0, 1000), digits=3).id
    rounds = 0
    while True:
        finish_chunks(store, job_id)
        extension = reduce_job(store, job_id, SPLIT)
        if extension is None:
            break
        rounds += 1
        job = store.get(job_id)
        assert [c.index for c in extension.chunks] == list(
            range(len(job.chunks) - len(extension.chunks), len(job.chunks))
        )
        assert extension.chunks[0].start == job.chunks[-len(extension.chunks) - 1].stop
        assert job.percent_floor == 99.9
    job = store.get(job_id)
    assert rounds == 3 and job.rounds == 4 and job.terms_total == 3376
    assert store.digits(store.get(job_id)) == "3.141" and job.status is JobStatus.SUCCESS


def test_duplicate_reducer_after_an_extension_does_not_extend_again(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    job_id = new_job(SPLIT(0, 1000), digits=3).id
    finish_chunks(store, job_id)
    assert reduce_job(store, job_id, SPLIT) is not None
    extended = store.get(job_id)
    # The same body delivered again sees the new, unfinished chunks and stands aside.
    with pytest.raises(IncompleteJobError):
        reduce_job(store, job_id, SPLIT)
    assert store.get(job_id) == extended


def test_unfinished_chunks_are_not_reduced(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job_id = new_job(SPLIT(0, 2600), digits=3).id
    with pytest.raises(IncompleteJobError, match="has not finished"):
        reduce_job(store, job_id, SPLIT)
    assert store.get(job_id).status is JobStatus.WAITING
