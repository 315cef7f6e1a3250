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
from functools import cached_property

import gmpy2

from pipeline.digits import format_units
from pipeline.methods.fixed_point import FixedSum, reciprocal_sum


@dataclass(frozen=True)
class EulerPlan:
    digits: int
    terms: int  # M, even
    correction_terms: int  # K
    precision: int  # P: W = 10^P

    @cached_property
    def scale(self) -> int:
        # Computed once: a chunk asks for it thousands of times.
        return int(gmpy2.mpz(10) ** self.precision)


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
    """M = digits^2/100 (even): the sum is cheap by binary splitting and spreads over
    workers, while the Euler numbers cost ~K^2.75 on one core, so a larger M buys a
    smaller K. ``extra`` digits of precision settle runs of 9s or 0s after the cut."""
    terms = max(1000, 2 * math.ceil(digits * digits / 200))
    while (k := correction_terms_needed(digits + extra, terms)) is None:
        terms *= 2
    return EulerPlan(digits, terms, k, digits + guard_digits(terms, k, extra))


def block_pairs(scale: int) -> int:
    """Pairs combined into one exact fraction before the one wide division: wider numbers
    amortise that division over more pairs (measured best on one core: 64 pairs at 1,000
    digits, 128 at 5,000, 512 at 20,000)."""
    target = max(1, gmpy2.mpz(scale).bit_length() // 128)
    return min(512, max(64, 1 << round(math.log2(target))))


def pair_sum(scale: int, start: int, stop: int) -> FixedSum:
    """Fixed-point sum of 4(-1)^k/(2k+1) for start <= k < stop (even ends).

    Pairs give 8/((4j+1)(4j+3)); a block of them is summed exactly by binary splitting of
    small integers, then floored once against W, so the error is under one unit per block
    and the expensive wide division happens once per block."""
    if start % 2 or stop % 2:
        raise ValueError(f"term range [{start}, {stop}) must have even ends so terms pair up")
    eight_w = gmpy2.mpz(8 * scale)
    block = block_pairs(scale)
    total = gmpy2.mpz(0)
    blocks = 0
    for j0 in range(start // 2, stop // 2, block):
        numerator, denominator = reciprocal_sum(j0, min(j0 + block, stop // 2))
        total += eight_w * numerator // denominator
        blocks += 1
    return FixedSum(int(total), blocks)


def correction_sum(
    scale: int, terms: int, secants: list[int], stop: int, start: int = 0
) -> FixedSum:
    """Fixed-point sum_{start<=m<stop} E_{2m} / (4^m M^(2m+1)); one floor per term."""
    total = gmpy2.mpz(0)
    step = gmpy2.mpz(4 * terms * terms)
    denominator = gmpy2.mpz(terms) * step**start
    w = gmpy2.mpz(scale)
    for m in range(start, stop):
        numerator = w * secants[m]
        # Negative terms use -floor(x) - 1 <= -x: every term is still rounded down.
        total += -(numerator // denominator) - 1 if m % 2 else numerator // denominator
        denominator *= step
    return FixedSum(int(total), max(0, stop - start))


def remainder_units(scale: int, terms: int, secants: list[int], correction_terms: int) -> int:
    """ceil(W |E_2K| / (4^K M^(2K+1))): W |R_K| is strictly below this."""
    k = correction_terms
    return int(
        -(-gmpy2.mpz(scale) * secants[k] // (gmpy2.mpz(4) ** k * gmpy2.mpz(terms) ** (2 * k + 1)))
    )


def with_remainder(correction: FixedSum, remainder: int) -> FixedSum:
    """The whole tail, sum_{m<K} + R_K, with |W R_K| < remainder folded into the interval."""
    return FixedSum(correction.value - remainder, correction.error + 2 * remainder)


def common_prefix_digits(lower: int, upper: int, precision: int, digits: int) -> str | None:
    """The longest decimal prefix (at most ``digits`` decimals) shared by every value in
    [lower, upper] / 10^precision, or None if not even the integer part is fixed."""
    low = format_units(lower, precision)
    high = format_units(upper, precision)
    point = low.index(".")
    if low[:point] != high[:point]:
        return None
    end = min(point + 1 + digits, len(low), len(high))
    shared = point + 1
    while shared < end and low[shared] == high[shared]:
        shared += 1
    return low[:shared] if shared > point + 1 else low[:point]


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


def bracket(plan: EulerPlan, series: FixedSum, tail: FixedSum) -> EulerBracket:
    """W*pi from the M-term sum and the tail (correction with its remainder), M even."""
    if plan.terms % 2:
        raise ValueError(f"M must be even for the tail's sign, got {plan.terms}")
    lower = series.value + tail.value - 1
    upper = series.value + series.error + tail.value + tail.error + 1
    return EulerBracket(plan, lower, upper)


def tail(plan: EulerPlan, secants: list[int]) -> FixedSum:
    correction = correction_sum(plan.scale, plan.terms, secants, plan.correction_terms)
    remainder = remainder_units(plan.scale, plan.terms, secants, plan.correction_terms)
    return with_remainder(correction, remainder)


# Correction terms behind a running job's intermediate value: small Euler numbers, cheap
# enough for every poll, and already hundreds of digits past a prefix of 10^5 terms.
PREFIX_CORRECTION_TERMS = 40


def prefix_bracket(
    precision: int, terms: int, series: FixedSum, secants: list[int]
) -> tuple[int, int]:
    """(lower, upper) for 10^precision * pi from the sum of the first ``terms`` (even) terms
    and the tail correction with len(secants) - 1 terms (the bound holds for every K)."""
    p = EulerPlan(digits=0, terms=terms, correction_terms=len(secants) - 1, precision=precision)
    result = bracket(p, series, tail(p, secants))
    return result.lower, result.upper
