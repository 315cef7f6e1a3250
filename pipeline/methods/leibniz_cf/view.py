"""What a client sees of a running leibniz-cf job: progress by where the time goes, and how
narrow the tail's bracket gets at the depth reached so far."""

from pipeline.job_view import BracketPoint, ProgressCounts
from pipeline.methods.leibniz_cf.depth import log10_width
from pipeline.methods.leibniz_cf.job_plan import current_chunks, stored_plan
from storage import ChunkRecord, JobRecord
from storage.records import ChunkKind

# Shares of the work at a million digits (bench/cf.py): the series, the fraction's depth,
# mpmath's reference digits, and the reducer's product and divisions the rest, shown as the
# last stretch before SUCCESS.
SERIES_SHARE = 0.35
DEPTH_SHARE = 0.28
REFERENCE_SHARE = 0.25


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
    chosen = stored_plan(job)
    series_done = depth_done = finished = 0
    reference = 0.0
    specs = current_chunks(job)
    for spec in specs:
        record = chunks.get(spec.index)
        done = min(record.terms_done, spec.terms) if record else 0
        finished += bool(record and record.finished)
        if spec.kind is ChunkKind.SERIES:
            series_done += done
        elif spec.kind is ChunkKind.CORRECTION:
            depth_done += done
        else:
            reference = float(bool(record and record.finished))
    share = (
        SERIES_SHARE * series_done / chosen.terms
        + DEPTH_SHARE * depth_done / chosen.depth
        + REFERENCE_SHARE * reference
    )
    return ProgressCounts(
        percent=100.0 * share,
        terms_done=series_done,
        terms_total=chosen.terms,
        chunks_done=finished,
        chunks_total=len(specs),
    )


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    """The width of T_M's bracket at each depth the finished depth chunks reach, in order
    (estimated from the depth, as the plan is: the certificate has the exact one)."""
    chosen = stored_plan(job)
    points = []
    specs = sorted(
        (s for s in current_chunks(job) if s.kind is ChunkKind.CORRECTION), key=lambda s: s.start
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
