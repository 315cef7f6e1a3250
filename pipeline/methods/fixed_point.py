"""Exact fixed-point sums of the Leibniz series, shared by the methods that sum it exactly.

A value is an integer in units of 1/W (W = 10^P, the method's scale) that every floor division
has pushed down by less than one unit, so it carries a one-sided integer error: the count of
those floors. Pairs of terms, 4/(4j+1) - 4/(4j+3) = 8/((4j+1)(4j+3)), are summed over a range
as one exact fraction before the one floor. Pure math, no I/O.
"""

from dataclasses import dataclass
from typing import Any

import gmpy2


@dataclass(frozen=True)
class FixedSum:
    """s <= W * value < s + error (error counts the floor divisions)."""

    value: int
    error: int

    def __add__(self, other: "FixedSum") -> "FixedSum":
        # Integer addition: exact, so chunks combine in any order to the same sum.
        return FixedSum(self.value + other.value, self.error + other.error)


ZERO = FixedSum(0, 0)

# Pairs summed by plain accumulation at the leaves of the binary splitting.
_LEAF_PAIRS = 16


def reciprocal_sum(j0: int, j1: int) -> tuple[Any, Any]:
    """sum of 1/((4j+1)(4j+3)) for j0 <= j < j1 as an exact fraction (binary splitting)."""
    if j1 - j0 <= _LEAF_PAIRS:
        numerator, denominator = 0, 1
        for j in range(j0, j1):
            q = (4 * j + 1) * (4 * j + 3)
            numerator, denominator = numerator * q + denominator, denominator * q
        return gmpy2.mpz(numerator), gmpy2.mpz(denominator)
    middle = (j0 + j1) // 2
    n1, d1 = reciprocal_sum(j0, middle)
    n2, d2 = reciprocal_sum(middle, j1)
    return n1 * d2 + n2 * d1, d1 * d2
