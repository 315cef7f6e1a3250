from fractions import Fraction

import pytest

from pipeline.digits import cut_outward


@pytest.mark.parametrize(
    ("lower", "upper", "decimals", "cut"),
    [
        ("3.14159", "3.14160", 3, ("3.141", "3.142")),
        # Nothing but zeros dropped from the upper end: it is already outward.
        ("3.14159", "3.14200", 3, ("3.141", "3.142")),
        ("3.99999", "3.99999", 2, ("3.99", "4.00")),
        ("3.1", "3.2", 3, ("3.100", "3.200")),
        ("3.14159", "3.14160", 0, ("3", "4")),
    ],
)
def test_cut_outward(lower: str, upper: str, decimals: int, cut: tuple[str, str]) -> None:
    assert cut_outward(lower, upper, decimals) == cut
    short_lower, short_upper = cut
    assert Fraction(short_lower) <= Fraction(lower) and Fraction(upper) <= Fraction(short_upper)
