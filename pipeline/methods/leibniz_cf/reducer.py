"""Certify a leibniz-cf job from its stored chunks, or start its next attempt."""

import logging
from collections.abc import Callable

from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_cf import view
from pipeline.methods.leibniz_cf.encoding import decode_integer, decode_matrices, decode_progress
from pipeline.methods.leibniz_cf.fraction import Matrix
from pipeline.methods.leibniz_cf.merge import check_coverage, reduce_chunks
from pipeline.methods.leibniz_cf.models import CfCertificate, CfChunk
from pipeline.methods.leibniz_cf.plan import MAX_ATTEMPTS, plan
from pipeline.methods.leibniz_cf.planner import (
    attempt_chunks,
    plan_params,
    stored_plan,
)
from pipeline.rounds import (
    BRACKET_EXTRA_DECIMALS,
    Extension,
    IncompleteJobError,
    current_round,
    final_progress,
    finished_record,
    finished_series,
    record_success,
    start_round,
)
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore
from storage.records import ChunkKind

logger = logging.getLogger(__name__)


class CertificationError(RuntimeError):
    """The finished chunks do not fix the digits and another attempt would not either."""


def _value(store: JobStore, job: JobRecord, spec: ChunkSpec) -> bytes:
    data = store.chunk_value(job.id, spec.index)
    if data is None:
        raise IncompleteJobError(f"chunk {spec.index} of job {job.id} has no stored value")
    done, _, payload = decode_progress(data)
    if done != spec.terms:
        raise IncompleteJobError(
            f"chunk {spec.index} of job {job.id} stored {done} of {spec.terms}"
        )
    return payload


def chunk_values(
    store: JobStore, job: JobRecord, specs: list[ChunkSpec], records: dict[int, ChunkRecord]
) -> tuple[list[FixedSum], list[Matrix]]:
    """The series sums (any order) and the depth chunks' matrices in depth order."""
    series = [
        FixedSum(decode_integer(_value(store, job, spec)), CfChunk.of(record).exact_error)
        for spec, record in zip(
            sorted((s for s in specs if s.kind is ChunkKind.SERIES), key=lambda s: s.start),
            finished_series(job, specs, records),
            strict=True,
        )
    ]
    depth_specs = sorted(
        (s for s in specs if s.kind is ChunkKind.CORRECTION), key=lambda s: s.start
    )
    products: list[Matrix] = []
    for spec in depth_specs:
        finished_record(job, spec, records)
        products.extend(decode_matrices(_value(store, job, spec)))
    check_coverage(stored_plan(job).depth, [(s.start, s.stop) for s in depth_specs])
    return series, products


def reference_text(
    store: JobStore, job: JobRecord, specs: list[ChunkSpec], records: dict[int, ChunkRecord]
) -> str | None:
    """mpmath's digits as the reference chunk stored them (None: the round has no such
    chunk, and the check computes them)."""
    spec = next((s for s in specs if s.kind is ChunkKind.REFERENCE), None)
    if spec is None:
        return None
    finished_record(job, spec, records)
    return _value(store, job, spec).decode("ascii")


def reduce_cf_job(store: JobStore, job_id: str, processes: Callable[[], int]) -> Extension | None:
    """Finish the job, or record the next attempt's chunks when a run of 9s or 0s after the
    cut outlasted the guard digits. Safe to run more than once."""
    job = store.get(job_id)
    if job.status.finished:
        return None
    chosen = stored_plan(job)
    specs = current_round(job)
    records = store.chunks(job_id)
    series, products = chunk_values(store, job, specs, records)
    bracket = reduce_chunks(chosen, series, products)
    del series, products
    digits = bracket.certified_digits()
    if digits is not None:
        lower, upper = bracket.ends_beside(digits, BRACKET_EXTRA_DECIMALS)
        figures = CfCertificate(precision=chosen.precision, depth=chosen.depth)
        certificate = figures.certificate(chosen.terms, lower, upper, job.rounds)
        reference = reference_text(store, job, specs, records)
        final = final_progress(view.progress(job, records), records)
        record_success(store, job, digits, certificate, final, reference)
        return None
    if not bracket.resolves_cut() or chosen.attempt >= MAX_ATTEMPTS:
        raise CertificationError(
            f"job {job_id}: depth {chosen.depth} at M = {chosen.terms} and precision "
            f"{chosen.precision} leave pi's bracket too wide to certify {job.digits} digits "
            f"(attempt {chosen.attempt}); no digits are given rather than unproven ones"
        )
    next_plan = plan(job.digits, chosen.attempt + 1)
    chunks = attempt_chunks(next_plan, processes(), first_index=len(job.chunks))
    changes = {"terms_total": next_plan.terms, "plan": plan_params(next_plan).dumped()}
    if not start_round(store, job, chunks, changes):
        return None
    logger.info("job %s: a run of 9s or 0s at the cut; attempt %d", job_id, next_plan.attempt)
    return Extension(chunks)
