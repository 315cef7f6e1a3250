"""Compute the chunks of a leibniz-euler job: exact fixed-point series chunks, and the
Euler-number correction with its remainder bound."""

import time
from pathlib import Path

import mpmath

from pipeline.chunk_runner import Checkpoints
from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_euler.euler_numbers import cached_secant_numbers
from pipeline.methods.leibniz_euler.models import EulerChunk
from pipeline.methods.leibniz_euler.plan import EulerPlan
from pipeline.methods.leibniz_euler.planner import stored_sum
from pipeline.methods.leibniz_euler.series import (
    block_pairs,
    correction_sum,
    pair_sum,
    remainder_units,
    with_remainder,
)
from storage import ChunkRecord

# Work between two looks at the clock: a few milliseconds at 20,000 digits.
SERIES_SLICE_BLOCKS = 8
CORRECTION_SLICE_TERMS = 32


def _with_sum(record: ChunkRecord, total: FixedSum, done: int) -> ChunkRecord:
    details = EulerChunk.of(record).model_copy(
        update={"exact_value": format(total.value, "x"), "exact_error": total.error}
    )
    return details.saved_in(record, terms_done=done)


def compute_series(plan: EulerPlan, record: ChunkRecord, checkpoints: Checkpoints) -> ChunkRecord:
    """Sum of 4(-1)^k/(2k+1) over the chunk in units of 10^-P, resumed from a checkpoint."""
    total = stored_sum(record)
    position = record.start + record.terms_done
    slice_terms = 2 * SERIES_SLICE_BLOCKS * block_pairs(plan.scale)
    while position < record.stop:
        end = min(position + slice_terms, record.stop)
        total += pair_sum(plan.scale, position, end)
        position = end
        if checkpoints.due() and position < record.stop:
            record = checkpoints.save(_with_sum(record, total, position - record.start))
    return checkpoints.finish(_with_sum(record, total, record.stop - record.start))


def compute_correction(
    plan: EulerPlan, state_dir: Path, record: ChunkRecord, checkpoints: Checkpoints
) -> ChunkRecord:
    """The K-term tail correction; once finished, its interval includes the remainder R_K."""
    started = time.perf_counter()
    secants, computed = cached_secant_numbers(state_dir, plan.correction_terms + 1)
    figures = EulerChunk.of(record).model_copy(
        update={"euler_computed": computed, "euler_seconds": time.perf_counter() - started}
    )
    record = checkpoints.save(figures.saved_in(record))
    total = stored_sum(record)
    m = record.start + record.terms_done
    while m < record.stop:
        end = min(m + CORRECTION_SLICE_TERMS, record.stop)
        total += correction_sum(plan.scale, plan.terms, secants, end, start=m)
        m = end
        if checkpoints.due() and m < record.stop:
            record = checkpoints.save(_with_sum(record, total, m - record.start))
    remainder = remainder_units(plan.scale, plan.terms, secants, plan.correction_terms)
    finished = _with_sum(record, with_remainder(total, remainder), record.stop - record.start)
    details = EulerChunk.of(finished).model_copy(
        update={"remainder_bound": remainder_text(plan, secants)}
    )
    return checkpoints.finish(details.saved_in(finished))


def remainder_text(plan: EulerPlan, secants: list[int]) -> str:
    """|E_2K| / (4^K M^(2K+1)) to three significant digits (rounded, for display)."""
    k = plan.correction_terms
    with mpmath.workdps(15):
        bound = mpmath.mpf(secants[k]) / (
            mpmath.mpf(4) ** k * mpmath.mpf(plan.terms) ** (2 * k + 1)
        )
        return str(mpmath.nstr(bound, 3))
