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

import gmpy2

from pipeline.methods.fixed_point import FixedSum, reciprocal_sum
from pipeline.methods.leibniz_euler.certificate import bracket
from pipeline.methods.leibniz_euler.plan import EulerPlan


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
