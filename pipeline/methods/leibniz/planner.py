"""A plain Leibniz job's record: the terms its digits need, cut into chunks."""

from pipeline.methods.leibniz.plan import terms_needed
from pipeline.rounds import SplitFn
from storage import ChunkSpec, JobRecord


def new_job(method: str, job_id: str, digits: int, split: SplitFn) -> JobRecord:
    terms = terms_needed(digits)
    return JobRecord(
        id=job_id,
        method=method,
        digits=digits,
        terms_total=terms,
        chunks=[ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(split(0, terms))],
    )
