"""Thousands of certified digits from the Leibniz series and its Euler-number tail.

For M >= 1 and K >= 0 (Borwein, Borwein & Dilcher 1989, in the form valid for every M):

    pi = S_M + (-1)^M [ sum_{m<K} E_{2m} / (4^m M^(2m+1)) + R_K ],
    0 < (-1)^K R_K < |E_{2K}| / (4^K M^(2K+1)),

with S_M = 4 sum_{k<M} (-1)^k/(2k+1). Everything here is exact integer arithmetic in units of
1/W, W = 10^P: every floor division is off by less than one unit, in the same direction, so
each piece comes with a one-sided integer error and the bracket for W*pi is exact.
Pure math, no I/O. M is kept even.
"""

import math
from dataclasses import dataclass
from typing import Any

import gmpy2

from pipeline.digits import format_units
from pipeline.euler_numbers import secant_numbers


@dataclass(frozen=True)
class FixedSum:
    """s <= W * value < s + error (error counts the floor divisions)."""

    value: int
    error: int


@dataclass(frozen=True)
class EulerPlan:
    digits: int
    terms: int  # M, even
    correction_terms: int  # K
    precision: int  # P: W = 10^P

    @property
    def scale(self) -> int:
        return int(10**self.precision)


# Digits beyond the rounding guard, so a run of 9s or 0s after the cut (six 9s at the Feynman
# point, decimal 762) is usually settled in one pass.
RUN_GUARD = 12


def guard_digits(terms: int, correction_terms: int, extra: int = RUN_GUARD) -> int:
    return math.ceil(math.log10(2 * terms + correction_terms + 1)) + 3 + extra


def log10_secant(k: int) -> float:
    """log10 |E_2k| by Stirling: |E_2k| ~ 8 sqrt(k/pi) (4k/(pi e))^(2k)."""
    if k == 0:
        return 0.0
    return math.log10(8 * math.sqrt(k / math.pi)) + 2 * k * math.log10(4 * k / (math.pi * math.e))


def correction_terms_needed(digits: int, terms: int) -> int | None:
    """Smallest K whose remainder bound is below 10^-(digits+3), or None past the ceiling."""
    target = -(digits + 3)
    best = math.inf
    for k in range(0, 10 * digits + 50):
        bound = log10_secant(k) - k * math.log10(4) - (2 * k + 1) * math.log10(terms)
        if bound < target:
            return k
        if bound > best:  # the asymptotic series has started to diverge
            return None
        best = bound
    return None


def plan(digits: int, extra: int = RUN_GUARD) -> EulerPlan:
    """M grows like digits^1.5 (the sum's cost) while K stays near digits / (0.4 log10 M);
    ``extra`` digits of precision settle runs of 9s or 0s after the cut."""
    terms = max(1000, 2 * math.ceil(digits**1.5 / 6))
    while (k := correction_terms_needed(digits + extra, terms)) is None:
        terms *= 2
    return EulerPlan(digits, terms, k, digits + guard_digits(terms, k, extra))


# Pairs combined into one exact fraction before the single division by W's size.
BLOCK_PAIRS = 128


def _reciprocal_sum(j0: int, j1: int) -> tuple[Any, Any]:
    """sum of 1/((4j+1)(4j+3)) for j0 <= j < j1 as an exact fraction (binary splitting)."""
    if j1 - j0 == 1:
        return gmpy2.mpz(1), gmpy2.mpz((4 * j0 + 1) * (4 * j0 + 3))
    middle = (j0 + j1) // 2
    n1, d1 = _reciprocal_sum(j0, middle)
    n2, d2 = _reciprocal_sum(middle, j1)
    return n1 * d2 + n2 * d1, d1 * d2


def pair_sum(scale: int, start: int, stop: int) -> FixedSum:
    """Fixed-point sum of 4(-1)^k/(2k+1) for start <= k < stop (even ends).

    Pairs give 8/((4j+1)(4j+3)); a block of them is summed exactly by binary splitting of
    small integers, then floored once against W, so the error is under one unit per block
    and the expensive wide division happens once per BLOCK_PAIRS pairs."""
    if start % 2 or stop % 2:
        raise ValueError(f"term range [{start}, {stop}) must have even ends so terms pair up")
    eight_w = gmpy2.mpz(8 * scale)
    total = gmpy2.mpz(0)
    blocks = 0
    for j0 in range(start // 2, stop // 2, BLOCK_PAIRS):
        numerator, denominator = _reciprocal_sum(j0, min(j0 + BLOCK_PAIRS, stop // 2))
        total += eight_w * numerator // denominator
        blocks += 1
    return FixedSum(int(total), blocks)


def correction_sum(scale: int, terms: int, secants: list[int], correction_terms: int) -> FixedSum:
    """Fixed-point sum_{m<K} E_{2m} / (4^m M^(2m+1)); one floor per term."""
    total = gmpy2.mpz(0)
    denominator = gmpy2.mpz(terms)
    step = gmpy2.mpz(4 * terms * terms)
    w = gmpy2.mpz(scale)
    for m in range(correction_terms):
        numerator = w * secants[m]
        total += -(numerator // denominator) - 1 if m % 2 else numerator // denominator
        denominator *= step
    # Negative terms use -(floor(x)) - 1 <= -x: every term is still rounded down.
    return FixedSum(int(total), correction_terms)


@dataclass(frozen=True)
class EulerBracket:
    plan: EulerPlan
    lower: int  # W*pi > lower
    upper: int  # W*pi < upper

    @property
    def _cut(self) -> int:
        """Units of 1/W per unit of the last certified decimal."""
        return int(10 ** (self.plan.precision - self.plan.digits))

    def certifies(self) -> bool:
        return self.lower // self._cut == self.upper // self._cut

    def digits(self) -> str:
        if not self.certifies():
            raise ValueError(f"the bracket does not fix {self.plan.digits} digits")
        return format_units(self.lower // self._cut, self.plan.digits)


def bracket(
    plan: EulerPlan, series: FixedSum, correction: FixedSum, secants: list[int]
) -> EulerBracket:
    """W*pi from the M-term sum, the K-term correction and the remainder bound (M even)."""
    k = plan.correction_terms
    remainder = -(-plan.scale * secants[k] // (4**k * plan.terms ** (2 * k + 1)))  # ceil
    lower = series.value + correction.value - remainder - 1
    upper = series.value + series.error + correction.value + correction.error + remainder + 1
    return EulerBracket(plan, lower, upper)


def compute(digits: int, max_rounds: int = 6) -> EulerBracket:
    """Everything in one process, with more precision each round until the digits are fixed
    (only a longer run of 9s or 0s after the cut than RUN_GUARD needs a second round)."""
    result = None
    for round_ in range(1, max_rounds + 1):
        p = plan(digits, extra=RUN_GUARD * round_)
        secants = secant_numbers(p.correction_terms + 1)
        series = pair_sum(p.scale, 0, p.terms)
        correction = correction_sum(p.scale, p.terms, secants, p.correction_terms)
        result = bracket(p, series, correction, secants)
        if result.certifies():
            return result
    assert result is not None
    return result
