"""Every error bound pipeline.leibniz claims holds against exact rational sums."""

import random
from fractions import Fraction

import pytest

from pipeline.methods.leibniz.kernel import (
    HEAD_PAIRS,
    UNIT_ROUNDOFF,
    PartialSum,
    SumAccumulator,
    pairs_sum,
)


def exact_pairs(j0: int, j1: int) -> Fraction:
    """sum of t_j = 2/((4j+1)(4j+3)) for j0 <= j < j1, added as a balanced tree so the
    denominators of the partial sums stay small."""
    if j1 - j0 == 1:
        return Fraction(2, (4 * j0 + 1) * (4 * j0 + 3))
    middle = (j0 + j1) // 2
    return exact_pairs(j0, middle) + exact_pairs(middle, j1)


def error(got: PartialSum, exact: Fraction) -> Fraction:
    return abs(Fraction(got.value) - exact)


def test_every_two_pair_window_of_the_head_is_within_its_bound() -> None:
    over = []
    for j in range(HEAD_PAIRS - 1):
        a = (4 * j + 1) * (4 * j + 3)
        b = (4 * j + 5) * (4 * j + 7)
        got = pairs_sum(j, j + 2)
        if error(got, Fraction(2 * (a + b), a * b)) > Fraction(got.error_bound):
            over.append(j)
    assert over == []


def test_two_divisions_and_fsum_need_more_than_one_and_a_half_roundings() -> None:
    got = pairs_sum(125, 127)
    relative = error(got, exact_pairs(125, 127)) / Fraction(got.value)
    assert Fraction(1.5 * UNIT_ROUNDOFF) < relative
    assert error(got, exact_pairs(125, 127)) <= Fraction(got.error_bound)


def test_longer_head_windows_are_within_their_bound() -> None:
    rng = random.Random(13)
    windows = [(0, 1), (0, 2000), (HEAD_PAIRS - 3000, HEAD_PAIRS)]
    for _ in range(300):
        length = rng.choice([3, 4, 7, 16, 100, 1000])
        j0 = rng.randrange(HEAD_PAIRS - length + 1)
        windows.append((j0, j0 + length))
    for j0, j1 in windows:
        got = pairs_sum(j0, j1)
        assert error(got, exact_pairs(j0, j1)) <= Fraction(got.error_bound), (j0, j1)


def test_accumulated_bound_covers_every_block_bound_however_small() -> None:
    # Each block's exact sum may lie anywhere within its bound; the farthest case is checked.
    # Bounds below half an ulp of the first one vanish when added up in plain floats.
    blocks = [PartialSum(2.0**-70, 1e-10)] + [PartialSum(2.0**-70, 2.0**-90)] * 1000
    acc = SumAccumulator()
    for block in blocks:
        acc.add(block)
    total = acc.total()
    farthest = sum((Fraction(b.value) + Fraction(b.error_bound) for b in blocks), Fraction(0))
    assert abs(Fraction(total.value) - farthest) <= Fraction(total.error_bound)


# Beyond the pairs a plain job reaches (2.5e12, 3.7e12 after one extension round) and up to
# the end of the kernel's exact range.
KERNEL_STARTS = [HEAD_PAIRS, 10**6, 2**32, 10**13, 2**50 - 5000]


@pytest.mark.parametrize("start", KERNEL_STARTS)
def test_tiny_kernel_ranges_are_within_their_bound(start: int) -> None:
    # Fewer than 8, exactly 8 and a few groups with every leftover count.
    for count in range(1, 42):
        got = pairs_sum(start, start + count)
        assert error(got, exact_pairs(start, start + count)) <= Fraction(got.error_bound)


@pytest.mark.parametrize("start", KERNEL_STARTS)
def test_random_kernel_ranges_are_within_their_bound(start: int) -> None:
    rng = random.Random(start)
    for _ in range(40):
        j0 = start + rng.randrange(4000)
        j1 = j0 + rng.randrange(1, 1000)
        got = pairs_sum(j0, j1)
        assert error(got, exact_pairs(j0, j1)) <= Fraction(got.error_bound), (j0, j1)


def test_one_group_stays_well_inside_its_claimed_roundings() -> None:
    # The bound allows 80 roundings per group of eight pairs and the worst seen is under 5u;
    # more than 16 would point at a rounding the count in the module docstring does not know.
    rng = random.Random(8)
    worst = Fraction(0)
    for _ in range(3000):
        j0 = rng.randrange(HEAD_PAIRS, 2**50 - 8)
        got = pairs_sum(j0, j0 + 8)
        worst = max(worst, error(got, exact_pairs(j0, j0 + 8)) / Fraction(got.value))
    assert worst < 16 * Fraction(UNIT_ROUNDOFF)


def test_kernel_refuses_pairs_beyond_its_exact_range() -> None:
    with pytest.raises(ValueError, match="floats stop being exact"):
        pairs_sum(2**50 - 4, 2**50 + 4)
