"""M, depth and precision for D digits, and how to split the work into chunks.

Measured on one core (CPU seconds, bench/cf_math.py and its sweep in docs/benchmarks.md): the
series costs about M log M bits of exact fractions and the continued fraction about
n log(M + sqrt(M^2 + n^2)) bits of matrix entries; the fraction's depth n for D digits climbs
steeply once n > M (n/M = 0.47 at M = D, 1.8 at M = D/2, 5 at M = D/3) while the series grows
linearly with M.
Totals were flat within 15% for M/D in [0.7, 1.4] at D = 10^4 ... 10^6 and worse outside it,
so M = D: the series and the fraction then cost about the same (1.7 s and 2.1 s at 10^6 digits).
Pure math, no I/O.
"""

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import gmpy2

from pipeline.methods.leibniz_cf.depth import depth_needed
from pipeline.methods.leibniz_cf.series import block_pairs

# Decimals beyond the cut that the bracket resolves, so a run of 9s or 0s after the cut (six
# 9s at the Feynman point, decimal 762) is settled in one attempt; each new attempt adds as
# many again.
RUN_GUARD = 12
MAX_ATTEMPTS = 4

# Below this, the depth for a handful of digits would still be dozens: M is cheap there.
_MIN_TERMS = 64


@dataclass(frozen=True)
class CfPlan:
    digits: int  # D
    terms: int  # M, even
    depth: int  # n
    precision: int  # P: units of 10^-P
    attempt: int

    @property
    def series_block(self) -> int:
        """Pairs per series piece: the grid every series chunk is cut on."""
        return block_pairs(self.precision, self.terms)

    @cached_property
    def scale(self) -> int:
        return int(gmpy2.mpz(10) ** self.precision)


def _even_terms(digits: int) -> int:
    return max(_MIN_TERMS, 2 * math.ceil(digits / 2))


def plan(digits: int, attempt: int = 1) -> CfPlan:
    """The error budget in units of 10^-P: the series floors once per piece (at most M/2
    pieces), the tail's two ends round outward (at most two units each), and the convergents
    differ by under 10^-(D + guard + 1); all together stay below 10^-(guard) of the last
    digit's unit."""
    if digits < 0:
        raise ValueError(f"digits must be non-negative, got {digits}")
    if not 1 <= attempt <= MAX_ATTEMPTS:
        raise ValueError(f"attempt must be between 1 and {MAX_ATTEMPTS}, got {attempt}")
    terms = _even_terms(digits)
    guard = RUN_GUARD * attempt
    depth = depth_needed(terms, digits + guard + 1)
    precision = digits + guard + math.ceil(math.log10(terms + 8)) + 3
    return CfPlan(digits, terms, depth, precision, attempt)


def even_cuts(start: int, stop: int, parts: int, step: int) -> tuple[tuple[int, int], ...]:
    """``parts`` ranges of about equal length whose inner ends are multiples of ``step`` from
    ``start`` (rounded to the nearest, so the ranges stay balanced on a coarse grid)."""
    parts = max(1, min(parts, (stop - start) // step))
    inner = [start + round((stop - start) * i / parts / step) * step for i in range(1, parts)]
    bounds = [start, *(min(b, stop) for b in inner), stop]
    return tuple((a, b) for a, b in itertools.pairwise(bounds) if b > a)
