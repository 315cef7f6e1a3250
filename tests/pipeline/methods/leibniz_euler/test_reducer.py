"""leibniz-euler chunks run in process, reduced exactly in any order."""

import random
from pathlib import Path

import mpmath
import pytest

from config import Settings
from pipeline.chunk_runner import run_chunk
from pipeline.jobs import plan_job
from pipeline.methods.fixed_point import ZERO
from pipeline.methods.leibniz_euler.certificate import bracket
from pipeline.methods.leibniz_euler.method import LEIBNIZ_EULER
from pipeline.methods.leibniz_euler.models import EulerChunk, EulerPlanParams
from pipeline.methods.leibniz_euler.planner import stored_plan
from pipeline.methods.leibniz_euler.reducer import combine, reduce_euler_job
from pipeline.methods.leibniz_euler.series import pair_sum, with_remainder
from pipeline.rounds import IncompleteJobError
from pipeline.verify import reference_digits
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import ChunkKind
from tests.conftest import MethodEnv


@pytest.fixture(autouse=True)
def small_chunks(method_env: MethodEnv) -> None:
    method_env(PICHORD_EULER_TERMS_PER_SECOND="2e3")


def new_job(state_dir: Path, digits: int) -> tuple[JobStore, JobRecord]:
    """A leibniz-euler job planned as the API plans it (no Celery app needed)."""
    config = Settings(state_dir=state_dir, worker_concurrency=3)
    store = JobStore(state_dir)
    job = plan_job(config, LEIBNIZ_EULER.name, digits)
    store.create(job)
    return store, job


def run(store: JobStore, job: JobRecord, spec: ChunkSpec) -> ChunkRecord:
    compute = LEIBNIZ_EULER.chunk_compute(Settings(state_dir=store.layout.root), job, spec)
    return run_chunk(store, job.id, spec, compute, worker="test", checkpoint_seconds=0.001)


def test_chunks_in_any_order_give_the_same_certified_digits(tmp_path: Path) -> None:
    certificates = []
    for seed in range(3):
        store, job = new_job(tmp_path / f"state{seed}", 1200)
        assert len(job.chunks) > 3 and job.chunks[0].kind is ChunkKind.CORRECTION
        parts = list(job.chunks)
        random.Random(seed).shuffle(parts)
        for spec in parts:
            run(store, job, spec)
        assert reduce_euler_job(store, job.id, lambda a, b: [(a, b)]) is None
        done = store.get(job.id)
        assert done.status is JobStatus.SUCCESS
        assert store.digits(store.get(job.id)) == reference_digits(1200) and done.verified
        certificates.append(done.certificate)
    assert certificates[0] == certificates[1] == certificates[2]


def test_unfinished_parts_are_not_reduced(state_dir: Path) -> None:
    store, job = new_job(state_dir, 300)
    for spec in job.chunks[:-1]:
        run(store, job, spec)
    with pytest.raises(IncompleteJobError):
        reduce_euler_job(store, job.id, lambda a, b: [(a, b)])
    assert store.get(job.id).status is JobStatus.WAITING


def test_a_series_chunk_resumes_from_its_checkpoint(state_dir: Path) -> None:
    store, job = new_job(state_dir, 500)
    plan = stored_plan(job)
    spec = job.chunks[1]
    middle = spec.start + 2 * ((spec.stop - spec.start) // 4)
    half = pair_sum(plan.scale, spec.start, middle)
    # What a worker killed after one checkpoint leaves behind.
    store.save_chunk(
        job.id,
        ChunkRecord(
            index=spec.index,
            start=spec.start,
            stop=spec.stop,
            terms_done=middle - spec.start,
            details=EulerChunk(
                exact_value=format(half.value, "x"), exact_error=half.error
            ).dumped(),
            attempts=1,
        ),
    )
    record = run(store, job, spec)
    assert record.attempts == 2 and record.finished
    whole = pair_sum(plan.scale, spec.start, spec.stop)
    stored = EulerChunk.of(record)
    value = int(stored.exact_value or "0", 16)
    # Both are one-sided bounds on the same exact sum.
    assert value <= whole.value + whole.error and whole.value <= value + stored.exact_error
    for other in job.chunks:
        run(store, job, other)
    reduce_euler_job(store, job.id, lambda a, b: [(a, b)])
    assert store.digits(store.get(job.id)) == reference_digits(500)


def test_a_run_of_nines_past_the_guard_plans_a_second_round(
    state_dir: Path, method_env: MethodEnv
) -> None:
    method_env(PICHORD_EULER_GUARD_DIGITS="0")
    store, job = new_job(state_dir, 761)
    for spec in job.chunks:
        run(store, job, spec)
    split = LEIBNIZ_EULER.split(Settings(state_dir=state_dir), lambda: 2)
    extension = reduce_euler_job(store, job.id, split)
    assert extension is not None
    job = store.get(job.id)
    assert job.rounds == 2 and EulerPlanParams.of(job).guard > 0
    assert {s.round for s in extension.chunks} == {2}
    # A duplicate reducer of round 1 finds round 2 unfinished and plans nothing.
    with pytest.raises(IncompleteJobError):
        reduce_euler_job(store, job.id, lambda a, b: [(a, b)])
    for spec in extension.chunks:
        run(store, job, spec)
    assert reduce_euler_job(store, job.id, lambda a, b: [(a, b)]) is None
    done = store.get(job.id)
    assert store.digits(store.get(job.id)) == reference_digits(761)
    assert done.certificate is not None and done.certificate.rounds == 2


def test_a_correction_chunk_of_no_terms_still_carries_the_remainder(state_dir: Path) -> None:
    # K = 0: the tail is R_0 alone, 0 < R_0 < 1/M. The chunk does no terms, yet its stored
    # sum must hold R_0's interval, or the bracket misses pi by about 1/M.
    store, job = new_job(state_dir, 300)
    correction = job.chunks[0].model_copy(update={"stop": 0})
    job = job.model_copy(
        update={
            "chunks": [correction, *job.chunks[1:]],
            "plan": {**job.plan, "correction_terms": 0},
        }
    )
    store.update(job.id, lambda _: job)
    for spec in job.chunks:
        run(store, job, spec)
    record = store.get_chunk(job.id, correction.index)
    assert record is not None and record.finished and record.terms_done == 0
    chosen = stored_plan(job)
    series, tail, _ = combine(job, job.chunks, store.chunks(job.id))
    assert tail == with_remainder(ZERO, -(-chosen.scale // chosen.terms))
    result = bracket(chosen, series, tail)
    with mpmath.workdps(chosen.precision + 10):
        scaled_pi = mpmath.pi * chosen.scale
    assert result.lower < scaled_pi < result.upper
