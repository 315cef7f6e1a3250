"""What a client sees of a running leibniz-euler job: progress, the digits its computed
prefix already certifies, and the bracket after each computed prefix."""

from fractions import Fraction
from functools import cache

from pipeline.job_view import (
    BracketPoint,
    ProgressCounts,
    prefix_brackets,
    series_prefix,
    tally,
)
from pipeline.methods.fixed_point import ZERO
from pipeline.methods.leibniz_euler.certificate import common_prefix_digits
from pipeline.methods.leibniz_euler.euler_numbers import secant_numbers
from pipeline.methods.leibniz_euler.planner import stored_plan, stored_sum
from pipeline.methods.leibniz_euler.series import PREFIX_CORRECTION_TERMS, prefix_bracket
from pipeline.rounds import current_round
from storage import ChunkRecord, JobRecord
from storage.records import ChunkKind

# Share of the percent given to the correction chunk (Euler numbers and correction sum);
# the series chunks carry the rest in proportion to their terms.
CORRECTION_SHARE = 0.1


@cache
def _small_secants() -> list[int]:
    return secant_numbers(PREFIX_CORRECTION_TERMS + 1)


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
    """The current round's progress: the series by terms, the correction by its share."""
    counted = tally(current_round(job), chunks)
    series_done = counted.done[ChunkKind.SERIES]
    share = (1 - CORRECTION_SHARE) * series_done / job.terms_total + (
        CORRECTION_SHARE * counted.share_done(ChunkKind.CORRECTION)
    )
    return ProgressCounts(
        percent=100.0 * share,
        terms_done=series_done,
        terms_total=job.terms_total,
        chunks_done=counted.chunks_done,
        chunks_total=counted.chunks_total,
    )


def intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    """The digits certified by the longest computed prefix of the series and a short tail
    correction: a lower bound on what the finished job will show."""
    prefix = series_prefix(current_round(job), chunks)
    if not prefix:
        return None
    chosen = stored_plan(job)
    series = sum((stored_sum(record) for record in prefix), ZERO)
    terms = sum(record.terms_done for record in prefix)
    lower, upper = prefix_bracket(chosen.precision, terms, series, _small_secants())
    return common_prefix_digits(lower, upper, chosen.precision, job.digits)


def convergence(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
    """The series' own bracket after each computed prefix, before the tail closes it."""
    scale = Fraction(stored_plan(job).scale)
    prefix = series_prefix(current_round(job), chunks)
    return prefix_brackets(prefix, (Fraction(stored_sum(r).value) / scale for r in prefix))
