import itertools
from fractions import Fraction

import pytest

from pipeline.methods.leibniz_cf.series import series_sum


def exact_sum(start: int, stop: int) -> Fraction:
    return sum((Fraction(4 * (-1) ** k, 2 * k + 1) for k in range(start, stop)), Fraction(0))


@pytest.mark.parametrize("block", [1, 16, 100, 10**6])
def test_the_fixed_point_sum_brackets_the_exact_sum(block: int) -> None:
    scale = 10**300
    for start, stop in [(0, 0), (0, 2), (0, 1000), (10, 502), (2000, 3000)]:
        s = series_sum(scale, start, stop, block)
        exact = exact_sum(start, stop) * scale
        assert s.value <= exact < s.value + max(1, s.error)


def test_splits_on_the_grid_give_the_same_sum() -> None:
    scale, terms, block = 10**400, 4000, 64
    whole = series_sum(scale, 0, terms, block)
    for bounds in ([0, 128, terms], [0, 1024, 1152, 3968, terms], [0, 2048, terms]):
        parts = [series_sum(scale, a, b, block) for a, b in itertools.pairwise(bounds)]
        assert sum(p.value for p in parts) == whole.value
        assert sum(p.error for p in parts) == whole.error


def test_splits_off_the_grid_still_bracket_the_sum() -> None:
    scale, terms = 10**400, 4000
    exact = exact_sum(0, terms) * scale
    for bounds in ([0, 2, terms], [0, 1000, 1002, 3998, terms]):
        parts = [series_sum(scale, a, b, 64) for a, b in itertools.pairwise(bounds)]
        value = sum(p.value for p in parts)
        assert value <= exact < value + sum(p.error for p in parts)


def test_odd_ends_are_refused() -> None:
    with pytest.raises(ValueError, match="even ends"):
        series_sum(10, 1, 4, 64)
