"""How many terms the plain series needs for n digits."""

from fractions import Fraction

import mpmath
import pytest

from pipeline.methods.leibniz.certificate import pi_bracket
from pipeline.methods.leibniz.plan import extended_terms, terms_needed
from tests.pipeline.methods.leibniz.test_kernel import closed_form

# Smallest N certifying n truncated digits (checked with mpmath).
N_MIN = {
    1: 25,
    2: 627,
    3: 2_454,
    4: 136_120,
    5: 376_847,
    6: 2_886_750,
    7: 21_546_984,
    8: 278_567_575,
    9: 2_437_795_018,
    10: 97_974_268_952,
    11: 4_836_489_478_578,
}


@pytest.mark.parametrize(("digits", "minimum"), sorted(N_MIN.items()))
def test_planned_terms_cover_the_known_minimum_with_little_waste(digits: int, minimum: int) -> None:
    terms = terms_needed(digits)
    assert terms % 2 == 0
    assert minimum <= terms <= minimum * 1.03 + 20


def test_extension_grows_and_stays_even() -> None:
    assert extended_terms(100) == 150
    assert extended_terms(102) % 2 == 0


def test_planned_terms_certify_with_the_closed_form() -> None:
    # The exact partial sum at the planned N must fix the digits (no second round).
    for digits in range(0, 12):
        terms = terms_needed(digits)
        with mpmath.workdps(60):
            quarter = Fraction(mpmath.nstr(closed_form(terms), 55, strip_zeros=False))
        assert pi_bracket(terms, quarter, Fraction(1, 10**40)).certifies(digits), digits
