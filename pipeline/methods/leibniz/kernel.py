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
- Kernel, j >= HEAD_PAIRS: eight pairs j..j+7 share one division. With c = 4j + 16 and
  w = c^2, the pairs at x = c - d and c + d (d = 2, 6, 10, 14; q(x) = x^2 - 1) give
  2/q(c-d) + 2/q(c+d) = 4 A_d / P_d, A_d = w + d^2 - 1, P_d = (w - d^2 - 1)^2 - 4 d^2, and
  the four fractions are merged into one, N / D. c and the constants are exact. On any path:
  w has 1 rounding; A_d and v_d = w - d^2 - 1 at most 3 (fastmath may derive one from the
  other); P_d = v_d^2 - 4 d^2 twice v_d's 3 and 2 more, 8; a term of N is one A_d and three
  P_d with 3 products and at most 3 sums, 33; D is four P_d and 3 products, 35; the quotient
  1, or 2 where fastmath takes a reciprocal: 70 in all (fused multiply-adds only remove
  roundings, reassociation only reorders them). The subtractions take at most 784 from
  numbers of at least 2^36 - 197 (c >= 2^18), which magnifies a relative error by less than
  1 + 2e-8; ``_GROUP_ROUNDINGS`` = 80 covers that. A leftover pair, 1/(x^2 - 1), has 4.
  Adding n values in any order (fastmath spreads them over vector lanes) puts at most n - 1
  roundings more on a path, and the final scaling by 2 and 4 is exact: 80 + n in all.
- Range: for j < 2^50 (``_KERNEL_PAIRS_LIMIT``) c < 2^53 is exact, and the largest
  intermediates, D ~ c^16 < 2^833 and the terms of N ~ c^14, stay inside the double range
  (D would overflow near c = 2^64). 11 digits need 4.9e12 terms, j < 2.5e12; an extension
  round adds half again, and ten of them would still stay below 2^50 ~ 1.1e15.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numba

UNIT_ROUNDOFF = 2.0**-53
# Pairs below this index have large terms: summed with fsum, so their error is ~2u.
HEAD_PAIRS = 1 << 16
# One kernel call; big enough to hide call overhead, small enough to checkpoint often.
BLOCK_PAIRS = 1 << 20
# Roundings on any path through one group of eight pairs in the kernel: 70 counted in the
# module docstring, each at most (1 + 2e-8) u.
_GROUP_ROUNDINGS = 80
# The kernel's floats hold c = 4j + 16 exactly below 2**53, and a group's denominator (~c**16)
# overflows only near c = 2**64.
_KERNEL_PAIRS_LIMIT = 1 << 50
# Bounds are computed in floats too: their few roundings are far below this 1%.
_SLACK = 1.01


@dataclass(frozen=True)
class PartialSum:
    """sum of (-1)^k/(2k+1) over some terms; the exact value is within error_bound of value."""

    value: float
    error_bound: float


@numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)
def _pairs_kernel(j0: int, j1: int) -> float:  # pragma: no cover - compiled
    # Eight pairs share one division (the algebra and its roundings: module docstring); one
    # division per pair was the loop's throughput limit. Groups run from the top down and
    # the leftover pairs, the largest terms, come last, so small values are added first.
    count = j1 - j0
    groups = 0.0
    # The top group's centre. A float counter, rather than float(j) each time, keeps the loop
    # free of int64-to-double conversions, which AVX2 can only do one lane at a time.
    c = 4.0 * float(j1 - 8) + 16.0
    for _ in range(count // 8):
        w = c * c
        v2 = w - 5.0
        v6 = w - 37.0
        v10 = w - 101.0
        v14 = w - 197.0
        p2 = v2 * v2 - 16.0
        p6 = v6 * v6 - 144.0
        p10 = v10 * v10 - 400.0
        p14 = v14 * v14 - 784.0
        inner_n = (w + 3.0) * p6 + (w + 35.0) * p2
        inner_d = p2 * p6
        outer_n = (w + 99.0) * p14 + (w + 195.0) * p10
        outer_d = p10 * p14
        groups += (inner_n * outer_d + outer_n * inner_d) / (inner_d * outer_d)
        c -= 32.0
    pairs = 0.0
    for j in range(j0 + count % 8 - 1, j0 - 1, -1):
        x = 4.0 * float(j) + 2.0
        pairs += 1.0 / (x * x - 1.0)
    return 4.0 * groups + 2.0 * pairs


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
    # Its values (groups and leftover pairs) add at most one rounding each to a path.
    values = (j1 - j0) // 8 + (j1 - j0) % 8
    return PartialSum(value, _relative_bound(_GROUP_ROUNDINGS + values) * value)


def pairs_sum(j0: int, j1: int) -> PartialSum:
    """Sum of t_j for pairs j0 <= j < j1: one block, not straddling the head."""
    if j1 <= j0:
        return PartialSum(0.0, 0.0)
    if j1 <= HEAD_PAIRS:
        return _head_pairs(j0, j1)
    if j0 < HEAD_PAIRS:
        raise ValueError(f"block [{j0}, {j1}) straddles the head boundary {HEAD_PAIRS}")
    if j1 > _KERNEL_PAIRS_LIMIT:
        raise ValueError(
            f"block [{j0}, {j1}) reaches beyond pair {_KERNEL_PAIRS_LIMIT}, "
            "where the kernel's floats stop being exact"
        )
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
