import random
from fractions import Fraction

import pytest

from pipeline.methods.fixed_point import ZERO, FixedSum, reciprocal_sum


def exact_pairs(j0: int, j1: int) -> Fraction:
    return sum((Fraction(1, (4 * j + 1) * (4 * j + 3)) for j in range(j0, j1)), Fraction(0))


def floored_pairs(scale: int, j0: int, j1: int) -> FixedSum:
    """W * sum of 4(-1)^k/(2k+1) for 2*j0 <= k < 2*j1, floored once."""
    numerator, denominator = reciprocal_sum(j0, j1)
    return FixedSum(int(8 * scale * numerator // denominator), 1)


# Empty, one pair, one leaf, just past a leaf, and ranges split several levels deep.
@pytest.mark.parametrize("j0, j1", [(0, 0), (0, 1), (0, 16), (0, 17), (5, 40), (1000, 1333)])
def test_reciprocal_sum_is_the_exact_fraction(j0: int, j1: int) -> None:
    numerator, denominator = reciprocal_sum(j0, j1)
    assert Fraction(int(numerator), int(denominator)) == exact_pairs(j0, j1)


def test_zero_adds_nothing() -> None:
    piece = FixedSum(12345, 3)
    assert piece + ZERO == piece == ZERO + piece
    assert sum([], ZERO) == ZERO


def test_fixed_sums_add_exactly_in_any_order() -> None:
    scale = 10**50
    pieces = [floored_pairs(scale, a, a + 100) for a in range(0, 1000, 100)]
    forward = sum(pieces, ZERO)
    backward = sum(reversed(pieces), ZERO)
    shuffled = random.Random(22).sample(pieces, len(pieces))
    assert forward == backward == sum(shuffled, ZERO)
    exact = scale * sum((Fraction(4 * (-1) ** k, 2 * k + 1) for k in range(2000)), Fraction(0))
    assert forward.value <= exact < forward.value + forward.error
