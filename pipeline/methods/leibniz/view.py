"""What a client sees of a running plain Leibniz job: its progress, its partial sum, and the
bracket around pi after each computed prefix (floats are enough for a picture; the
certificate stays exact)."""

from collections.abc import Iterator
from fractions import Fraction

from pipeline.digits import format_truncated
from pipeline.job_view import (
    BracketPoint,
    ProgressCounts,
    prefix_brackets,
    series_prefix,
    tally,
)
from pipeline.methods.leibniz.models import LeibnizChunk
from storage import ChunkRecord, JobRecord
from storage.records import ChunkKind


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
    counted = tally(job.chunks, chunks)
    done = counted.done[ChunkKind.SERIES]
    return ProgressCounts(
        percent=100.0 * done / job.terms_total,
        terms_done=done,
        terms_total=job.terms_total,
        chunks_done=counted.chunks_done,
        chunks_total=counted.chunks_total,
    )


def intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    """S_N' over the longest prefix [0, N') of terms computed so far, cut to ``digits``."""
    prefix = series_prefix(job.chunks, chunks)
    if not prefix:
        return None
    return format_truncated(4 * sum(_quarter_sums(prefix), Fraction(0)), job.digits)


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    prefix = series_prefix(job.chunks, chunks)
    return prefix_brackets(prefix, (4 * value for value in _quarter_sums(prefix)))


def _quarter_sums(records: list[ChunkRecord]) -> Iterator[Fraction]:
    """Each chunk's sum of (-1)^k/(2k+1), exactly as its float."""
    return (Fraction(LeibnizChunk.of(record).partial) for record in records)
