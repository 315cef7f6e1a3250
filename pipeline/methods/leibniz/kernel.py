"""Partial sums of the Leibniz series with a rigorous bound on their float error.

Terms are paired, t_j = 1/(4j+1) - 1/(4j+3) = 2/((4j+1)(4j+3)) > 0, so a range of an even
number of series terms is a sum of positive numbers; its error then depends only on how many
additions there are and how large the sum is, in whatever order they happen. Pure math: no I/O.

Error bounds. u = 2**-53; a float operation returns its exact result times (1 + d), or
divided by (1 + d), |d| <= u. A value computed from exact positive numbers by sums, products
and quotients alone is sum_i x_i (1 + e_i), where the x_i add up to the exact value S and e_i
gathers the roundings on x_i's path: |e_i| <= n u / (1 - n u) with n of them (Higham,
Accuracy and Stability of Numerical Algorithms, lemma 3.1), in whatever order the operations
ran. Hence |value - S| <= s / (1 - 2 s) * value, s = n u: ``_relative_bound(n)``.
- Head, j < HEAD_PAIRS: each t_j is one correctly rounded division of exact integers, and fsum
  rounds the exact sum of those once (it is correctly rounded with IEEE doubles, as on x86-64
  and arm64): n = 2, about 2u of the value, and reached: the pairs 125 and 126 alone are off
  by 1.57u of their sum.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numba

UNIT_ROUNDOFF = 2.0**-53
# Pairs below this index have large terms: summed with fsum, so their error is ~1 ulp.
HEAD_PAIRS = 1 << 16
# One kernel call; big enough to hide call overhead, small enough to checkpoint often.
BLOCK_PAIRS = 1 << 18
# Relative error of one value produced by the kernel: a group of four pairs is one fraction
# built from ~10 roundings (products, sums, one division, and fastmath's reciprocal); 16u
# leaves room for every reassociation fastmath is allowed.
_GROUP_RELATIVE_ERROR = 16 * UNIT_ROUNDOFF
# Covers the first-order bounds below: (1 + m u)(1 + d) - 1 <= 1.01 (m u + d) while m u < 1e-3,
# and the few roundings of computing a bound in floats.
_SLACK = 1.01


@dataclass(frozen=True)
class PartialSum:
    """sum of (-1)^k/(2k+1) over some terms; the exact value is within error_bound of value."""

    value: float
    error_bound: float


@numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)
def _pairs_kernel(j0: int, j1: int) -> float:  # pragma: no cover - compiled
    # Four pairs share one division: 2/q1 + 2/q2 + 2/q3 + 2/q4 over the product of the q's.
    # The division is the throughput limit of the plain loop, so this runs ~3x faster.
    # Groups run from the top down so the smallest values are added first.
    count = j1 - j0
    groups = count // 4
    total = 0.0
    # x = 4j + 2 of the group's lowest pair; whole numbers below 2**53, so exact in floats.
    x_top = 4.0 * float(j1 - 4) + 2.0
    for g in range(groups):
        x1 = x_top - 16.0 * g
        x2 = x1 + 4.0
        x3 = x1 + 8.0
        x4 = x1 + 12.0
        q1 = x1 * x1 - 1.0
        q2 = x2 * x2 - 1.0
        q3 = x3 * x3 - 1.0
        q4 = x4 * x4 - 1.0
        p12 = q1 * q2
        p34 = q3 * q4
        total += 2.0 * ((q1 + q2) * p34 + (q3 + q4) * p12) / (p12 * p34)
    for j in range(j0 + count % 4 - 1, j0 - 1, -1):
        x = 4.0 * float(j) + 2.0
        total += 2.0 / (x * x - 1.0)
    return total


def _round_up(x: float) -> float:
    # x is a rounded-to-nearest result, so the next float up is not below the exact one.
    return math.nextafter(x, math.inf)


def _relative_bound(roundings: int) -> float:
    """Relative error of a sum of positive values with at most ``roundings`` on any path."""
    s = roundings * UNIT_ROUNDOFF
    return _SLACK * s / (1.0 - 2.0 * s)


def warm_up() -> None:
    """Compile (or load the cached) kernel before the first chunk needs it."""
    _pairs_kernel(HEAD_PAIRS, HEAD_PAIRS + 8)


def _head_pairs(j0: int, j1: int) -> PartialSum:
    # (4j+1)(4j+3) < 2**53 here, so each term is one correctly rounded division, and fsum
    # rounds their sum once: two roundings on every path (see the module docstring).
    value = math.fsum(2.0 / ((4 * j + 1) * (4 * j + 3)) for j in range(j1 - 1, j0 - 1, -1))
    return PartialSum(value, _relative_bound(2) * value)


def _kernel_pairs(j0: int, j1: int) -> PartialSum:
    value = float(_pairs_kernel(j0, j1))
    additions = (j1 - j0) // 4 + (j1 - j0) % 4
    bound = _SLACK * (additions * UNIT_ROUNDOFF + _GROUP_RELATIVE_ERROR) * value
    return PartialSum(value, bound)


def pairs_sum(j0: int, j1: int) -> PartialSum:
    """Sum of t_j for pairs j0 <= j < j1: one block, not straddling the head."""
    if j1 <= j0:
        return PartialSum(0.0, 0.0)
    if j1 <= HEAD_PAIRS:
        return _head_pairs(j0, j1)
    if j0 < HEAD_PAIRS:
        raise ValueError(f"block [{j0}, {j1}) straddles the head boundary {HEAD_PAIRS}")
    return _kernel_pairs(j0, j1)


def blocks(start: int, stop: int) -> Iterator[tuple[int, int]]:
    """Split terms [start, stop) (even ends) into kernel blocks, ascending, as term ranges."""
    if start % 2 or stop % 2:
        raise ValueError(f"term range [{start}, {stop}) must have even ends so terms pair up")
    j = start // 2
    end = stop // 2
    while j < end:
        limit = HEAD_PAIRS if j < HEAD_PAIRS else j + BLOCK_PAIRS
        nxt = min(end, limit, j + BLOCK_PAIRS)
        yield 2 * j, 2 * nxt
        j = nxt


class SumAccumulator:
    """Adds block sums with one final rounding (fsum), tracking the total error bound."""

    def __init__(self, start: PartialSum | None = None) -> None:
        self._values: list[float] = []
        self._bounds: list[float] = []
        if start is not None:
            self.add(start)

    def add(self, block: PartialSum) -> None:
        self._values.append(block.value)
        self._bounds.append(block.error_bound)

    def total(self) -> PartialSum:
        value = math.fsum(self._values)
        # The exact total is within the sum of the bounds of the values' exact sum, which
        # fsum (correctly rounded) leaves within u |value|. Both sums round up: a bound added
        # in plain floats can come out below the real sum, by up to one rounding per block.
        bound = _round_up(_round_up(math.fsum(self._bounds)) + UNIT_ROUNDOFF * abs(value))
        return PartialSum(value, bound)


def range_sum(start: int, stop: int) -> PartialSum:
    """Sum of (-1)^k/(2k+1) for start <= k < stop (even ends), with its error bound."""
    acc = SumAccumulator()
    for a, b in blocks(start, stop):
        acc.add(pairs_sum(a // 2, b // 2))
    return acc.total()
