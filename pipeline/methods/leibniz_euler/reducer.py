"""Combine a leibniz-euler job's chunks exactly, certify the digits, or plan a new round."""

import logging

from pipeline.digits import format_units
from pipeline.methods.fixed_point import ZERO, FixedSum
from pipeline.methods.leibniz_euler import view
from pipeline.methods.leibniz_euler.plan import (
    new_plan,
    round_chunks,
    stored_plan,
    stored_sum,
)
from pipeline.methods.leibniz_euler.series import (
    RUN_GUARD,
    EulerBracket,
    EulerPlan,
    bracket,
)
from pipeline.rounds import (
    BRACKET_EXTRA_DECIMALS,
    Extension,
    IncompleteJobError,
    SplitFn,
    current_round,
    final_progress,
    finished_record,
    finished_series,
    record_success,
    start_round,
)
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore
from storage.records import Certificate, ChunkKind

logger = logging.getLogger(__name__)


def combine(
    job: JobRecord, specs: list[ChunkSpec], records: dict[int, ChunkRecord]
) -> tuple[FixedSum, FixedSum, ChunkRecord]:
    """The series sum over [0, M) and the tail, from finished chunks that tile the plan.

    Integer sums: any order of the chunks gives the same bracket."""
    series = sum((stored_sum(r) for r in finished_series(job, specs, records)), ZERO)
    correction = next((s for s in specs if s.kind is ChunkKind.CORRECTION), None)
    if correction is None:
        raise IncompleteJobError(f"job {job.id} has no correction chunk in round {job.rounds}")
    tail = finished_record(job, correction, records)
    return series, stored_sum(tail), tail


def certificate(
    chosen: EulerPlan, result: EulerBracket, tail: ChunkRecord, rounds: int
) -> Certificate:
    decimals = chosen.digits + BRACKET_EXTRA_DECIMALS
    cut = 10 ** (chosen.precision - decimals)
    return Certificate(
        terms=chosen.terms,
        lower=format_units(result.lower // cut, decimals),
        upper=format_units(-(-result.upper // cut), decimals),
        rounds=rounds,
        correction_terms=chosen.correction_terms,
        precision=chosen.precision,
        remainder_bound=tail.remainder_bound,
    )


def reduce_euler_job(store: JobStore, job_id: str, split: SplitFn) -> Extension | None:
    """Finish the job, or return the chunks of a new round at more precision when a run of
    9s or 0s after the cut outlasted the guard digits. Safe to run more than once."""
    job = store.get(job_id)
    if job.status.finished:
        return None
    chosen = stored_plan(job)
    records = store.chunks(job_id)
    series, tail, tail_record = combine(job, current_round(job), records)
    result = bracket(chosen, series, tail)
    if result.certifies():
        record_success(
            store,
            job,
            result.digits(),
            certificate(chosen, result, tail_record, job.rounds),
            final_progress(view.progress(job, records), records),
        )
        return None

    assert job.euler is not None
    guard = job.euler.guard + RUN_GUARD
    next_plan, params = new_plan(job.digits, guard)
    chunks = round_chunks(next_plan, split, job.rounds + 1, first_index=len(job.chunks))
    if not start_round(store, job, chunks, {"terms_total": next_plan.terms, "euler": params}):
        return None
    logger.info(
        "job %s: %d guard digits did not fix the digits; trying %d", job_id, job.euler.guard, guard
    )
    return Extension(chunks)
