"""A leibniz-cf job's plan as stored chunks: series ranges, then depth ranges of the tail."""

from pipeline.methods.leibniz_cf.plan import CfPlan, split
from storage import ChunkSpec, JobRecord
from storage.records import ChunkKind


class NotACfJobError(ValueError):
    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"job {job.id} has method {job.method!r} and no leibniz-cf plan")


def plan_params(chosen: CfPlan) -> dict[str, int]:
    return {"depth": chosen.depth, "precision": chosen.precision, "attempt": chosen.attempt}


def stored_plan(job: JobRecord) -> CfPlan:
    try:
        depth, precision, attempt = (job.params[k] for k in ("depth", "precision", "attempt"))
    except KeyError:
        raise NotACfJobError(job) from None
    return CfPlan(job.digits, job.terms_total, depth, precision, attempt)


def attempt_chunks(chosen: CfPlan, workers: int, first_index: int) -> list[ChunkSpec]:
    """The depth chunks first (the longer kind at every size measured), then the series."""
    cut = split(chosen, workers)
    ranges = [(ChunkKind.CORRECTION, r) for r in cut.depth] + [
        (ChunkKind.SERIES, r) for r in cut.series
    ]
    return [
        ChunkSpec(index=first_index + i, start=a, stop=b, kind=kind, round=chosen.attempt)
        for i, (kind, (a, b)) in enumerate(ranges)
    ]


def current_chunks(job: JobRecord) -> list[ChunkSpec]:
    return [spec for spec in job.chunks if spec.round == job.rounds]
