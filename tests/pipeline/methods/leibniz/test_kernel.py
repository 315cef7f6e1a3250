import itertools
from fractions import Fraction
from typing import Any

import gmpy2
import mpmath
import pytest

from pipeline.methods.leibniz.kernel import BLOCK_PAIRS, HEAD_PAIRS, blocks, pairs_sum
from tests.pipeline.methods.leibniz.sums import range_sum


def exact_range(start: int, stop: int) -> tuple[Any, Any]:
    """sum_{start <= k < stop} (-1)^k/(2k+1) as an unreduced p/q, by binary splitting (a
    running Fraction sum is quadratic: 12 s for 2^17 terms)."""
    if stop - start == 1:
        return gmpy2.mpz((-1) ** start), gmpy2.mpz(2 * start + 1)
    middle = (start + stop) // 2
    p1, q1 = exact_range(start, middle)
    p2, q2 = exact_range(middle, stop)
    return p1 * q2 + p2 * q1, q1 * q2


def closed_form(terms: int) -> mpmath.mpf:
    """sum_{k<terms} (-1)^k/(2k+1) for even terms, from the digamma function."""
    m = terms // 2
    return (
        mpmath.pi / 4
        - (mpmath.digamma(m + mpmath.mpf(3) / 4) - mpmath.digamma(m + mpmath.mpf(1) / 4)) / 4
    )


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        (0, 2),
        (0, 10),
        (6, 40),
        (0, 2 * HEAD_PAIRS),
        (2 * HEAD_PAIRS, 2 * HEAD_PAIRS + 2002),
        (2 * HEAD_PAIRS - 10, 2 * HEAD_PAIRS + 30),
    ],
)
def test_range_sum_matches_exact_fractions(start: int, stop: int) -> None:
    got = range_sum(start, stop)
    p, q = exact_range(start, stop)
    value, bound = Fraction(got.value), Fraction(got.error_bound)
    # |value - p/q| <= bound, multiplied out to integers.
    difference = abs(value.numerator * q - p * value.denominator)
    assert difference * bound.denominator <= bound.numerator * value.denominator * q


@pytest.mark.parametrize("terms", [2 * HEAD_PAIRS + 2 * BLOCK_PAIRS * 3 + 8, 10**8, 123_456_790])
def test_range_sum_matches_digamma_closed_form(terms: int) -> None:
    got = range_sum(0, terms)
    with mpmath.workdps(40):
        error = abs(mpmath.mpf(got.value) - closed_form(terms))
    assert error <= got.error_bound
    # The bound is rigorous and still tight enough to certify 11 digits.
    assert got.error_bound < 1e-15


def test_far_range_agrees_with_closed_form() -> None:
    start, stop = 10**10, 10**10 + 4 * BLOCK_PAIRS + 6
    got = range_sum(start, stop)
    with mpmath.workdps(50):
        exact = closed_form(stop) - closed_form(start)
        assert abs(mpmath.mpf(got.value) - exact) <= got.error_bound


def test_blocks_tile_the_range_and_respect_the_head() -> None:
    start, stop = 2 * HEAD_PAIRS - 100, 2 * HEAD_PAIRS + 5 * BLOCK_PAIRS + 8
    parts = list(blocks(start, stop))
    assert parts[0][0] == start and parts[-1][1] == stop
    assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
    assert all((a < 2 * HEAD_PAIRS) == (b <= 2 * HEAD_PAIRS) for a, b in parts)
    assert all(b - a <= 2 * BLOCK_PAIRS for a, b in parts)


def test_odd_range_ends_are_refused() -> None:
    with pytest.raises(ValueError, match="even ends"):
        list(blocks(1, 10))


def test_block_straddling_the_head_is_refused() -> None:
    with pytest.raises(ValueError, match="straddles"):
        pairs_sum(HEAD_PAIRS - 1, HEAD_PAIRS + 1)
