"""What a client sees of a running plain Leibniz job: its progress, its partial sum, and the
bracket around pi after each computed prefix (floats are enough for a picture; the
certificate stays exact)."""

from fractions import Fraction

from pipeline.digits import format_truncated
from pipeline.job_view import BracketPoint, ProgressCounts, prefix_brackets, series_prefix
from storage import ChunkRecord, JobRecord


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
    done = 0
    finished = 0
    for spec in job.chunks:
        record = chunks.get(spec.index)
        if record is not None:
            done += min(record.terms_done, spec.terms)
            finished += record.finished
    return ProgressCounts(
        percent=100.0 * done / job.terms_total,
        terms_done=done,
        terms_total=job.terms_total,
        chunks_done=finished,
        chunks_total=len(job.chunks),
    )


def intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    """S_N' over the longest prefix [0, N') of terms computed so far, cut to ``digits``."""
    prefix = series_prefix(job.chunks, chunks)
    if not prefix:
        return None
    return format_truncated(4 * sum((Fraction(r.partial) for r in prefix), Fraction(0)), job.digits)


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    prefix = series_prefix(job.chunks, chunks)
    return prefix_brackets(prefix, (4 * Fraction(record.partial) for record in prefix))
