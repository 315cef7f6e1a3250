"""A leibniz-euler job's plan as stored chunks: series chunks plus one correction chunk."""

from pipeline.methods.fixed_point import ZERO, FixedSum
from pipeline.methods.leibniz_euler.models import EulerChunk, EulerPlanParams
from pipeline.methods.leibniz_euler.plan import EulerPlan, plan
from pipeline.rounds import SplitFn
from storage import ChunkRecord, ChunkSpec, JobRecord
from storage.records import ChunkKind


def new_plan(digits: int, guard: int) -> tuple[EulerPlan, EulerPlanParams]:
    chosen = plan(digits, extra=guard)
    params = EulerPlanParams(
        correction_terms=chosen.correction_terms, precision=chosen.precision, guard=guard
    )
    return chosen, params


def new_job(method: str, job_id: str, digits: int, guard: int, split: SplitFn) -> JobRecord:
    chosen, params = new_plan(digits, guard)
    return JobRecord(
        id=job_id,
        method=method,
        digits=digits,
        terms_total=chosen.terms,
        chunks=round_chunks(chosen, split, round_=1, first_index=0),
        plan=params.dumped(),
    )


def stored_plan(job: JobRecord) -> EulerPlan:
    params = EulerPlanParams.of(job)
    return EulerPlan(
        digits=job.digits,
        terms=job.terms_total,
        correction_terms=params.correction_terms,
        precision=params.precision,
    )


def round_chunks(
    chosen: EulerPlan, split: SplitFn, round_: int, first_index: int
) -> list[ChunkSpec]:
    """The correction chunk first, so one worker process starts on the Euler numbers (the
    longest single piece when they are not cached) while the others take series chunks."""
    correction = ChunkSpec(
        index=first_index,
        start=0,
        stop=chosen.correction_terms,
        kind=ChunkKind.CORRECTION,
        round=round_,
    )
    series = [
        ChunkSpec(index=first_index + 1 + i, start=a, stop=b, round=round_)
        for i, (a, b) in enumerate(split(0, chosen.terms))
    ]
    return [correction, *series]


def stored_sum(record: ChunkRecord) -> FixedSum:
    """The exact sum a chunk has recorded so far (zero before its first checkpoint).

    Whether a sum is stored is told by the sum itself, not by ``terms_done``: a correction
    chunk with K = 0 finishes having done no terms, yet stores the remainder R_0."""
    details = EulerChunk.of(record)
    if details.exact_value is None:
        return ZERO
    return FixedSum(int(details.exact_value, 16), details.exact_error)
