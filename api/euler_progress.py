"""Progress and the intermediate value of a running leibniz-euler job."""

from functools import cache

from api.prefix import series_prefix
from api.schemas import Progress
from pipeline.euler_numbers import secant_numbers
from pipeline.euler_plan import current_parts, stored_plan, stored_sum
from pipeline.leibniz_euler import (
    PREFIX_CORRECTION_TERMS,
    ZERO,
    common_prefix_digits,
    prefix_bracket,
)
from storage import ChunkRecord, JobRecord
from storage.records import PartKind

# Share of the percent given to the correction part (Euler numbers and correction sum);
# the series chunks carry the rest in proportion to their terms.
CORRECTION_SHARE = 0.1


@cache
def _small_secants() -> list[int]:
    return secant_numbers(PREFIX_CORRECTION_TERMS + 1)


def euler_progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> tuple[float, Progress]:
    """The unrounded percent of the current round, and the progress counts."""
    series_done = 0
    correction = 1.0
    finished = 0
    parts = current_parts(job)
    for spec in parts:
        record = chunks.get(spec.index)
        done = min(record.terms_done, spec.terms) if record else 0
        finished += bool(record and record.finished)
        if spec.kind is PartKind.CORRECTION:
            correction = (
                float(bool(record and record.finished)) if spec.terms == 0 else done / spec.terms
            )
        else:
            series_done += done
    share = (1 - CORRECTION_SHARE) * series_done / job.terms_total + CORRECTION_SHARE * correction
    return 100.0 * share, Progress(
        percent=0.0,
        terms_done=series_done,
        terms_total=job.terms_total,
        chunks_done=finished,
        chunks_total=len(parts),
    )


def euler_intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    """The digits certified by the longest computed prefix of the series and a short tail
    correction: a lower bound on what the finished job will show."""
    prefix = series_prefix(job, chunks)
    if not prefix:
        return None
    chosen = stored_plan(job)
    series = sum((stored_sum(record) for record in prefix), ZERO)
    terms = sum(record.terms_done for record in prefix)
    lower, upper = prefix_bracket(chosen.precision, terms, series, _small_secants())
    return common_prefix_digits(lower, upper, chosen.precision, job.digits)
