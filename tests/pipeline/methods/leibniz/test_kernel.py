import itertools
from fractions import Fraction

import mpmath
import pytest

from pipeline.methods.leibniz.kernel import BLOCK_PAIRS, HEAD_PAIRS, blocks, pairs_sum
from tests.pipeline.methods.leibniz.sums import range_sum


def exact_range(start: int, stop: int) -> Fraction:
    return sum((Fraction((-1) ** k, 2 * k + 1) for k in range(start, stop)), Fraction(0))


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
    exact = exact_range(start, stop)
    assert abs(Fraction(got.value) - exact) <= Fraction(got.error_bound)


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
