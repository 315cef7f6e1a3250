"""Combine a leibniz-euler job's chunks exactly, certify the digits, or plan a new round."""

import logging

from pipeline.methods.fixed_point import ZERO, FixedSum
from pipeline.methods.leibniz_euler import view
from pipeline.methods.leibniz_euler.certificate import bracket, certificate
from pipeline.methods.leibniz_euler.models import EulerChunk, EulerPlanParams
from pipeline.methods.leibniz_euler.plan import RUN_GUARD
from pipeline.methods.leibniz_euler.planner import (
    new_plan,
    round_chunks,
    stored_plan,
    stored_sum,
)
from pipeline.rounds import (
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
from storage.records import ChunkKind

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
            certificate(chosen, result, EulerChunk.of(tail_record), job.rounds),
            final_progress(view.progress(job, records), records),
        )
        return None

    old_guard = EulerPlanParams.of(job).guard
    guard = old_guard + RUN_GUARD
    next_plan, params = new_plan(job.digits, guard)
    chunks = round_chunks(next_plan, split, job.rounds + 1, first_index=len(job.chunks))
    changes = {"terms_total": next_plan.terms, "plan": params.dumped()}
    if not start_round(store, job, chunks, changes):
        return None
    logger.info(
        "job %s: %d guard digits did not fix the digits; trying %d", job_id, old_guard, guard
    )
    return Extension(chunks)
