"""A leibniz-cf job's plan as stored chunks: mpmath's reference, ranges of the tail's depth
and ranges of the series, laid out so that the job's processes finish together.

Processes claim chunks in index order (``storage.claims``), each its next as it frees up,
so the layout is a list schedule: the first ``lanes`` chunks start together, and each later
one goes to whichever process is free first. mpmath's reference cannot be split, and every
depth chunk beyond the first adds a merge of two big matrices to the reducer, which runs
alone; the series can be cut anywhere on its grid for free. So the reference and as few
depth chunks as keep each within a process's share come first, then one series piece per
process left, then series pieces that top up the fixed chunks' processes to the share,
cheapest fixed chunk (first free) first.
"""

import math
from dataclasses import dataclass

from pipeline.methods.leibniz_cf.models import CfPlanParams
from pipeline.methods.leibniz_cf.plan import CfPlan, even_cuts, plan
from storage import ChunkSpec, JobRecord
from storage.records import ChunkKind

# CPU cost of a depth step and of a digit of mpmath's pi, relative to one series term at
# M = D, measured in one process for D = 10^5, 3*10^5 and 10^6 (depth 2.48, 2.50, 2.37;
# reference 0.62, 0.40, 0.53): the mean of each.
DEPTH_STEP_COST = 2.45
REFERENCE_DIGIT_COST = 0.55


def plan_params(chosen: CfPlan) -> CfPlanParams:
    return CfPlanParams(depth=chosen.depth, precision=chosen.precision, attempt=chosen.attempt)


def new_job(method: str, job_id: str, digits: int, processes: int) -> JobRecord:
    chosen = plan(digits)
    return JobRecord(
        id=job_id,
        method=method,
        digits=digits,
        terms_total=chosen.terms,
        chunks=attempt_chunks(chosen, processes, first_index=0),
        plan=plan_params(chosen).dumped(),
    )


def stored_plan(job: JobRecord) -> CfPlan:
    params = CfPlanParams.of(job)
    return CfPlan(job.digits, job.terms_total, params.depth, params.precision, params.attempt)


def unit_costs(chosen: CfPlan) -> dict[ChunkKind, float]:
    """The estimated cost of one unit of each kind's range: a series term, a depth step, and
    the reference's whole range (one unit)."""
    return {
        ChunkKind.SERIES: 1.0,
        ChunkKind.CORRECTION: DEPTH_STEP_COST,
        ChunkKind.REFERENCE: REFERENCE_DIGIT_COST * max(chosen.digits, 1),
    }


@dataclass(frozen=True)
class Piece:
    kind: ChunkKind
    start: int
    stop: int
    cost: float


def _series_pieces(chosen: CfPlan, shares: list[float]) -> list[Piece]:
    """The series cut into pieces of about ``shares`` of its terms, in that order, with every
    cut on the series grid; a share too small for the grid gets no piece."""
    grid = 2 * chosen.series_block
    total = sum(shares)
    pieces, start, before = [], 0, 0.0
    for i, share in enumerate(shares):
        before += share
        stop = min(chosen.terms, round(chosen.terms * before / total / grid) * grid)
        if i == len(shares) - 1:
            stop = chosen.terms
        if stop > start:
            pieces.append(Piece(ChunkKind.SERIES, start, stop, float(stop - start)))
        start = max(start, stop)
    return pieces


def layout(chosen: CfPlan, lanes: int) -> list[Piece]:
    """The attempt's chunks in index order for ``lanes`` round-robin lanes (see the module)."""
    if lanes < 1:
        raise ValueError(f"a job needs at least one lane, got {lanes}")
    unit = unit_costs(chosen)
    reference = Piece(ChunkKind.REFERENCE, 0, 1, unit[ChunkKind.REFERENCE])
    depth_cost = unit[ChunkKind.CORRECTION] * chosen.depth
    total = reference.cost + depth_cost + chosen.terms
    # No lane finishes before the reference, which cannot be split: depth chunks that size
    # cost nothing in time and spare the reducer a merge each.
    finish = max(total / lanes, reference.cost) if lanes > 1 else total
    parts = min(max(1, math.ceil(depth_cost / finish)), max(1, lanes - 1))
    depth = [
        Piece(ChunkKind.CORRECTION, a, b, unit[ChunkKind.CORRECTION] * (b - a))
        for a, b in even_cuts(1, chosen.depth + 1, parts, 1)
    ]
    if lanes == 1:
        return [reference, *depth, *_series_pieces(chosen, [1.0])]
    # A fixed chunk bigger than a lane's share fills its lane alone; the rest share the rest.
    fixed = sorted([reference, *depth], key=lambda piece: piece.cost)
    shared = lanes
    for piece in reversed(fixed):
        if piece.cost <= total / shared or shared == 1:
            break
        total, shared = total - piece.cost, shared - 1
    share = total / shared
    # Round one: a lane per fixed chunk, cheapest first, then the lanes of series only. Round
    # two: the fixed chunks' lanes topped up with series, the most room first, so the lanes
    # left with none are the last ones and round robin still meets each piece's lane.
    series_only = lanes - len(fixed)
    room = [max(0.0, share - piece.cost) for piece in fixed]
    return fixed + _series_pieces(chosen, [share] * series_only + room)


def attempt_chunks(chosen: CfPlan, workers: int, first_index: int) -> list[ChunkSpec]:
    """The attempt's chunks for ``workers`` lanes, numbered from ``first_index``."""
    return [
        ChunkSpec(
            index=first_index + i,
            start=piece.start,
            stop=piece.stop,
            kind=piece.kind,
            round=chosen.attempt,
        )
        for i, piece in enumerate(layout(chosen, workers))
    ]
