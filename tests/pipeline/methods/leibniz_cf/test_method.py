"""leibniz-cf jobs run chunk by chunk in process, as the workers run them, then reduced."""

import random
from pathlib import Path

import pytest

from config import Settings
from pipeline.chunk_runner import Checkpoints, run_chunk
from pipeline.jobs import plan_job
from pipeline.methods.leibniz_cf.method import LEIBNIZ_CF
from pipeline.methods.leibniz_cf.models import CfCertificate
from pipeline.methods.leibniz_cf.plan import CfPlan
from pipeline.methods.leibniz_cf.planner import attempt_chunks, plan_params, stored_plan
from pipeline.methods.leibniz_cf.reducer import CertificationError
from pipeline.verify import reference_digits
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import ChunkKind


def new_job(state_dir: Path, digits: int, workers: int = 2) -> tuple[Settings, JobStore, JobRecord]:
    settings = Settings(state_dir=state_dir, worker_concurrency=workers)
    store = JobStore(state_dir)
    job = plan_job(settings, LEIBNIZ_CF.name, digits)
    store.create(job)
    return settings, store, job


def run(settings: Settings, store: JobStore, job: JobRecord, spec: ChunkSpec) -> ChunkRecord:
    compute = LEIBNIZ_CF.chunk_compute(settings, job, spec)
    return run_chunk(store, job.id, spec, compute, worker="test", checkpoint_seconds=0.0)


def run_all(settings: Settings, store: JobStore, job: JobRecord, seed: int = 0) -> None:
    specs = [s for s in job.chunks if s.round == job.rounds]
    random.Random(seed).shuffle(specs)
    for spec in specs:
        run(settings, store, job, spec)


@pytest.mark.parametrize("digits", [0, 1, 2, 50, 761, 762, 767, 1000, 10_000])
def test_certified_digits_equal_mpmath(state_dir: Path, digits: int) -> None:
    settings, store, job = new_job(state_dir, digits)
    run_all(settings, store, job)
    assert LEIBNIZ_CF.reduce(settings, store, job.id, processes=lambda: 2) is None
    done = store.get(job.id)
    assert done.status is JobStatus.SUCCESS and done.verified is True
    assert store.digits(store.get(job.id)) == reference_digits(digits)
    certificate = done.certificate
    assert certificate is not None and CfCertificate.of(certificate).depth == stored_plan(job).depth
    assert certificate.terms == job.terms_total and CfCertificate.of(certificate).precision > 0
    assert certificate.lower < reference_digits(digits + 3) + "9" and len(certificate.lower) == (
        digits + 5 if digits else 5
    )


def test_any_number_of_workers_and_any_order_give_the_same_certificate(tmp_path: Path) -> None:
    seen = set()
    for workers, seed in ((1, 0), (2, 1), (3, 2), (7, 3)):
        settings, store, job = new_job(tmp_path / f"s{workers}", 3000, workers)
        run_all(settings, store, job, seed)
        LEIBNIZ_CF.reduce(settings, store, job.id, processes=lambda: 2)
        certificate = store.get(job.id).certificate
        assert certificate is not None
        seen.add((certificate.lower, certificate.upper, store.digits(store.get(job.id))))
    assert len(seen) == 1


class WorkerKilledError(Exception):
    pass


class DiesAtFirstCheckpoint(Checkpoints):
    """The worker process dies right after its first checkpoint is written."""

    def save(self, record: ChunkRecord) -> ChunkRecord:
        super().save(record)
        raise WorkerKilledError


def test_a_chunk_resumes_from_its_checkpoint_and_percent_never_falls(state_dir: Path) -> None:
    settings, store, job = new_job(state_dir, 5000, workers=1)
    for spec in (s for s in job.chunks if s.kind is not ChunkKind.REFERENCE):
        compute = LEIBNIZ_CF.chunk_compute(settings, job, spec)
        fresh = ChunkRecord(index=spec.index, start=spec.start, stop=spec.stop)
        with pytest.raises(WorkerKilledError):
            compute(fresh, DiesAtFirstCheckpoint(store, job.id, 0.0))
    stopped = LEIBNIZ_CF.progress(job, store.chunks(job.id)).percent
    assert 0 < stopped < 60
    for spec in job.chunks:
        record = run(settings, store, job, spec)
        assert record.finished
    # Every chunk done: only the reducer's share is left.
    assert LEIBNIZ_CF.progress(job, store.chunks(job.id)).percent == pytest.approx(92.0)
    assert LEIBNIZ_CF.reduce(settings, store, job.id, processes=lambda: 2) is None
    assert store.digits(store.get(job.id)) == reference_digits(5000)


def test_a_depth_too_short_refuses_to_certify(state_dir: Path) -> None:
    settings, store, job = new_job(state_dir, 2000)
    good = stored_plan(job)
    short = CfPlan(good.digits, good.terms, good.depth // 2, good.precision, good.attempt)
    job = job.model_copy(
        update={
            "chunks": attempt_chunks(short, 2, first_index=0),
            "plan": plan_params(short).dumped(),
        }
    )
    store.update(job.id, lambda _: job)
    run_all(settings, store, job)
    with pytest.raises(CertificationError, match="too wide to certify 2000 digits"):
        LEIBNIZ_CF.reduce(settings, store, job.id, processes=lambda: 2)
    assert store.get(job.id).status is JobStatus.WAITING and store.digits(store.get(job.id)) is None


def test_the_convergence_follows_the_finished_depth_chunks(state_dir: Path) -> None:
    # Four lanes: the depth in two chunks.
    settings, store, job = new_job(state_dir, 3000, workers=4)
    depth_chunks = [s for s in job.chunks if s.kind is ChunkKind.CORRECTION]
    assert LEIBNIZ_CF.convergence(job, store.chunks(job.id)) == []
    run(settings, store, job, depth_chunks[0])
    points = LEIBNIZ_CF.convergence(job, store.chunks(job.id))
    assert [p.terms for p in points] == [depth_chunks[0].stop - 1]
    run(settings, store, job, depth_chunks[1])
    points = LEIBNIZ_CF.convergence(job, store.chunks(job.id))
    assert points[-1].terms == stored_plan(job).depth and points[-1].width_log10 < -3000
    assert points[0].width_log10 > points[-1].width_log10


def test_certifying_does_not_count_lanes(state_dir: Path) -> None:
    """Counting lanes asks the broker: only a next round needs them."""
    settings, store, job = new_job(state_dir, 50)
    run_all(settings, store, job)

    def no_count() -> int:
        raise AssertionError("lanes counted without a next round")

    assert LEIBNIZ_CF.reduce(settings, store, job.id, processes=no_count) is None
    assert store.get(job.id).status is JobStatus.SUCCESS
