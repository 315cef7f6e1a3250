"""What a client sees of a running toy job."""

from pipeline.job_view import BracketPoint, ProgressCounts, tally
from storage import ChunkRecord, JobRecord


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
    counted = tally(job.chunks, chunks)
    return ProgressCounts(
        percent=100.0 * counted.chunks_done / counted.chunks_total,
        terms_done=counted.chunks_done,
        terms_total=job.terms_total,
        chunks_done=counted.chunks_done,
        chunks_total=counted.chunks_total,
    )


def intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    return None


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    return []
