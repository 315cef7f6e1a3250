"""leibniz-euler parts run in process, reduced exactly in any order."""

import random
from pathlib import Path

import pytest

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.euler_plan import stored_plan
from pipeline.euler_reducer import reduce_euler_job
from pipeline.euler_runner import compute_correction, compute_series
from pipeline.jobs import chunk_planner, plan_job
from pipeline.leibniz_euler import pair_sum
from pipeline.methods import Method
from pipeline.parts import run_part
from pipeline.reducer import IncompleteJobError
from pipeline.verify import reference_digits
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import PartKind


def new_job(state_dir: Path, digits: int, **settings: object) -> tuple[JobStore, JobRecord]:
    app = create_celery_app(
        Settings(state_dir=state_dir, worker_concurrency=3, euler_terms_per_second=2e3, **settings)
    )
    store = JobStore(state_dir)
    job = plan_job(app, Method.LEIBNIZ_EULER, digits)
    store.create(job)
    return store, job


def run(store: JobStore, job: JobRecord, spec: ChunkSpec) -> ChunkRecord:
    plan = stored_plan(job)
    if spec.kind is PartKind.CORRECTION:
        return run_part(
            store,
            job.id,
            spec,
            lambda r, c: compute_correction(plan, store.layout.root, r, c),
            worker="test",
            checkpoint_seconds=0.001,
        )
    return run_part(
        store,
        job.id,
        spec,
        lambda r, c: compute_series(plan, r, c),
        worker="test",
        checkpoint_seconds=0.001,
    )


def test_parts_in_any_order_give_the_same_certified_digits(tmp_path: Path) -> None:
    certificates = []
    for seed in range(3):
        store, job = new_job(tmp_path / f"state{seed}", 1200)
        assert len(job.chunks) > 3 and job.chunks[0].kind is PartKind.CORRECTION
        parts = list(job.chunks)
        random.Random(seed).shuffle(parts)
        for spec in parts:
            run(store, job, spec)
        assert reduce_euler_job(store, job.id, lambda a, b: [(a, b)]) is None
        done = store.get(job.id)
        assert done.status is JobStatus.SUCCESS
        assert done.result == reference_digits(1200) and done.verified
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
            exact_value=format(half.value, "x"),
            exact_error=half.error,
            attempts=1,
        ),
    )
    record = run(store, job, spec)
    assert record.attempts == 2 and record.finished
    whole = pair_sum(plan.scale, spec.start, spec.stop)
    value = int(record.exact_value or "0", 16)
    # Both are one-sided bounds on the same exact sum.
    assert value <= whole.value + whole.error and whole.value <= value + record.exact_error
    for other in job.chunks:
        run(store, job, other)
    reduce_euler_job(store, job.id, lambda a, b: [(a, b)])
    assert store.get(job.id).result == reference_digits(500)


def test_a_run_of_nines_past_the_guard_plans_a_second_round(state_dir: Path) -> None:
    store, job = new_job(state_dir, 761, euler_guard_digits=0)
    for spec in job.chunks:
        run(store, job, spec)
    app = create_celery_app(Settings(state_dir=state_dir, worker_concurrency=2))
    extension = reduce_euler_job(store, job.id, chunk_planner(app, Method.LEIBNIZ_EULER).split)
    assert extension is not None
    job = store.get(job.id)
    assert job.rounds == 2 and job.euler is not None and job.euler.guard > 0
    assert {s.round for s in extension.chunks} == {2}
    # A duplicate reducer of round 1 finds round 2 unfinished and plans nothing.
    with pytest.raises(IncompleteJobError):
        reduce_euler_job(store, job.id, lambda a, b: [(a, b)])
    for spec in extension.chunks:
        run(store, job, spec)
    assert reduce_euler_job(store, job.id, lambda a, b: [(a, b)]) is None
    done = store.get(job.id)
    assert done.result == reference_digits(761)
    assert done.certificate is not None and done.certificate.rounds == 2
