"""A toy job's record: one chunk per arctangent of Machin's formula."""

from pipeline.methods.method_data import PlanParams
from storage import ChunkSpec, JobRecord
from tests.pipeline.methods.toy.models import ToyPlanParams
from tests.pipeline.methods.toy.plan import TERMS


def new_job(method: str, job_id: str, digits: int, guard: int) -> JobRecord:
    params: PlanParams = ToyPlanParams(precision=digits + guard)
    return JobRecord(
        id=job_id,
        method=method,
        digits=digits,
        terms_total=len(TERMS),
        chunks=[ChunkSpec(index=i, start=i, stop=i + 1) for i in range(len(TERMS))],
        plan=params.dumped(),
    )
