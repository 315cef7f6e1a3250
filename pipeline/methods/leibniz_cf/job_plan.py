"""A leibniz-cf job's plan as stored chunks: mpmath's reference, ranges of the tail's depth
and ranges of the series."""

import itertools

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
    """mpmath's reference first, then depth and series chunks in turn.

    Lanes take chunk indices round robin and never trade chunks, so the cut and the order
    decide the balance. At a million digits on two processes the reference takes ~1.0 s of
    CPU, a half of the depth ~0.8 s and the series ~1.6 s: one series chunk more than there
    are processes gives one lane the reference and two series thirds (2.0 s), the other both
    depth halves and a third (2.1 s), where one series chunk per process left 2.5 s against
    1.8 s."""
    depth = [(ChunkKind.CORRECTION, r) for r in split(chosen, workers).depth]
    series = [(ChunkKind.SERIES, r) for r in split(chosen, workers + 1).series]
    ranges = [(ChunkKind.REFERENCE, (0, 1))]
    for pair in itertools.zip_longest(depth, series):
        ranges += [entry for entry in pair if entry is not None]
    return [
        ChunkSpec(index=first_index + i, start=a, stop=b, kind=kind, round=chosen.attempt)
        for i, (kind, (a, b)) in enumerate(ranges)
    ]
