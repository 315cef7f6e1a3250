"""What a client sees of a running leibniz-cf job: progress by where the time goes, and how
narrow the tail's bracket gets at the depth reached so far."""

from pipeline.job_view import BracketPoint, ProgressCounts, tally
from pipeline.methods.leibniz_cf.depth import log10_width
from pipeline.methods.leibniz_cf.planner import stored_plan, unit_costs
from pipeline.rounds import current_round
from storage import ChunkRecord, JobRecord
from storage.records import ChunkKind

# The reducer's share of a job's CPU time (two divisions and the digits' text: 0.26 s of
# 3.2 s on one process at a million digits, bench/cf.py), shown as the last stretch before
# SUCCESS; the chunks share the rest by the plan's estimate of their cost.
REDUCER_SHARE = 0.08


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
    chosen = stored_plan(job)
    counted = tally(current_round(job), chunks)
    unit = unit_costs(chosen)
    planned = sum(unit[kind] * count for kind, count in counted.planned.items())
    finished = sum(unit[kind] * count for kind, count in counted.done.items())
    series_done = counted.done[ChunkKind.SERIES]
    return ProgressCounts(
        percent=100.0 * (1 - REDUCER_SHARE) * finished / planned if planned else 0.0,
        terms_done=series_done,
        terms_total=chosen.terms,
        chunks_done=counted.chunks_done,
        chunks_total=counted.chunks_total,
    )


def intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    # Until the tail is reduced nothing beyond the plain series' few digits is proven,
    # and reducing a partial fraction costs as much as the job's own reducer.
    return None


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    """The width of T_M's bracket at each depth the finished depth chunks reach, in order
    (estimated from the depth, as the plan is: the certificate has the exact one)."""
    chosen = stored_plan(job)
    points = []
    specs = sorted(
        (s for s in current_round(job) if s.kind is ChunkKind.CORRECTION), key=lambda s: s.start
    )
    for spec in specs:
        record = chunks.get(spec.index)
        if record is None or record.terms_done == 0:
            break
        depth = spec.start + record.terms_done - 1
        width = log10_width(chosen.terms, depth)
        points.append(BracketPoint(terms=depth, lower=None, upper=None, width_log10=width))
        if not record.finished:
            break
    return points
