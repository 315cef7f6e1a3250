"""The continued fraction of the Leibniz tail, by products of 2x2 integer matrices.

For every M >= 1, pi = S_M + (-1)^M T_M with

    T_M = 2/(2M + 1^2/(2M + 2^2/(2M + 3^2/(2M + ...)))),

partial numerators a_1 = 2, a_k = (k-1)^2 and partial denominators 2M. With
R = prod_{k=1..n} [[2M, 1], [a_k, 0]] the convergents are P_n/Q_n = R[1][0]/R[0][0] and
P_{n-1}/Q_{n-1} = R[1][1]/R[0][1]. Every a_k and 2M is positive, so T_M lies strictly between
two consecutive convergents: odd-numbered ones above, even-numbered ones below. Pure math,
exact gmpy2 integers, no I/O.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gmpy2

# gmpy2 ships no type stubs: its integers are Any to mypy.
Matrix = tuple[Any, Any, Any, Any]  # row-major (r00, r01, r10, r11)

IDENTITY: Matrix = (gmpy2.mpz(1), gmpy2.mpz(0), gmpy2.mpz(0), gmpy2.mpz(1))

# Below this many factors a range is multiplied in one pass: each step is four products of a
# growing number by a word, cheaper than the recursion's bookkeeping.
_LEAF = 24


def partial_numerator(k: int) -> int:
    return 2 if k == 1 else (k - 1) * (k - 1)


def multiply(left: Matrix, right: Matrix) -> Matrix:
    a, b, c, d = left
    e, f, g, h = right
    return (a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h)


def _leaf(terms: int, start: int, stop: int) -> Matrix:
    b = gmpy2.mpz(2 * terms)
    r00, r01, r10, r11 = gmpy2.mpz(1), gmpy2.mpz(0), gmpy2.mpz(0), gmpy2.mpz(1)
    for k in range(start, stop):
        a = partial_numerator(k)
        # R * [[b, 1], [a, 0]]: the old first column becomes the second.
        r00, r01 = r00 * b + r01 * a, r00
        r10, r11 = r10 * b + r11 * a, r10
    return r00, r01, r10, r11


def range_product(terms: int, start: int, stop: int) -> Matrix:
    """prod_{start <= k < stop} [[2M, 1], [a_k, 0]] with M = terms, by binary splitting."""
    if not 1 <= start <= stop:
        raise ValueError(f"depth range [{start}, {stop}) must satisfy 1 <= start <= stop")
    if stop - start <= _LEAF:
        return _leaf(terms, start, stop)
    middle = (start + stop) // 2
    return multiply(range_product(terms, start, middle), range_product(terms, middle, stop))


def combine(products: Sequence[Matrix]) -> Matrix:
    """The ordered product of adjacent ranges' products, as a balanced tree so the two
    factors of every multiplication are of similar size (FFT multiplication likes that)."""
    if not products:
        return IDENTITY
    if len(products) == 1:
        return products[0]
    middle = len(products) // 2
    return multiply(combine(products[:middle]), combine(products[middle:]))


@dataclass(frozen=True)
class Convergents:
    """P_n/Q_n and P_{n-1}/Q_{n-1} of T_M."""

    depth: int
    p: Any
    q: Any
    p_prev: Any
    q_prev: Any


def convergents(product: Matrix, depth: int) -> Convergents:
    """The last two convergents from prod_{k=1..depth} [[2M, 1], [a_k, 0]]."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    r00, r01, r10, r11 = product
    return Convergents(depth, p=r10, q=r00, p_prev=r11, q_prev=r01)


@dataclass(frozen=True)
class TailBracket:
    """lower < 10^precision * T_M < upper."""

    precision: int
    lower: int
    upper: int


# Bits kept beyond W's own when a convergent is shortened before its division: the ratio then
# moves by under 2^-GUARD_BITS units of W, so rounding outward costs at most one unit.
GUARD_BITS = 64


def _shortened(p: Any, q: Any, keep: int) -> tuple[Any, Any, Any]:
    """(p', q_low, q_high) with p'/q_high < p/q < (p' + 1)/q_low, all about ``keep`` bits:
    the division only needs W's length of p/q, not the product's full length."""
    shift = max(0, q.bit_length() - keep)
    if shift == 0:
        return p, q, q
    p_short, q_short = p >> shift, q >> shift
    return p_short, q_short, q_short + 1


def tail_bracket(c: Convergents, precision: int) -> TailBracket:
    """T_M in units of 10^-precision, rounded outward from the two convergents around it."""
    scale = gmpy2.mpz(10) ** precision
    keep = scale.bit_length() + GUARD_BITS
    # Floor below the even convergent, ceiling above the odd one: T_M is strictly between them.
    if c.depth % 2:
        above, below = (c.p, c.q), (c.p_prev, c.q_prev)
    else:
        above, below = (c.p_prev, c.q_prev), (c.p, c.q)
    p_low, _, q_high = _shortened(*below, keep)
    lower = scale * p_low // q_high
    p_high, q_low, q_high = _shortened(*above, keep)
    exact = q_low == q_high
    upper = -(-scale * (p_high if exact else p_high + 1) // q_low)
    return TailBracket(precision, int(lower), int(upper))
