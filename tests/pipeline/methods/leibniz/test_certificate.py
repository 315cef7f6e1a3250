from fractions import Fraction

import mpmath
import pytest

from pipeline.digits import format_rounded, format_truncated
from pipeline.methods.leibniz.certificate import pi_bracket
from pipeline.verify import reference_digits
from tests.pipeline.methods.leibniz.test_kernel import closed_form
from tests.pipeline.methods.leibniz.test_plan import N_MIN

PI_50 = "3.14159265358979323846264338327950288419716939937510"


def quarter_sum(terms: int) -> Fraction:
    """The partial sum from the closed form, to 60 digits: no need to add 10^12 terms."""
    with mpmath.workdps(80):
        return Fraction(mpmath.nstr(closed_form(terms), 70, strip_zeros=False))


def even(n: int) -> int:
    return n + n % 2


@pytest.mark.parametrize("digits", range(0, 12))
def test_certifies_exactly_from_the_minimum_terms(digits: int) -> None:
    minimum = N_MIN.get(digits, 8)
    tiny = Fraction(1, 10**50)
    # A little above the minimum the digits are fixed and are pi's...
    above = pi_bracket(even(minimum + 2), quarter_sum(even(minimum + 2)), tiny)
    assert above.certifies(digits)
    assert above.digits(digits) == PI_50[: digits + 2 if digits else 1]
    # ...and clearly below it they are not (n=4, 10, 11 sit just before runs of 9s).
    if digits:
        below = pi_bracket(even(int(minimum * 0.97)), quarter_sum(even(int(minimum * 0.97))), tiny)
        assert not below.certifies(digits)
        with pytest.raises(ValueError, match="does not fix"):
            below.digits(digits)


def test_float_error_widens_the_bracket() -> None:
    terms = even(N_MIN[5] + 2)
    assert pi_bracket(terms, quarter_sum(terms), Fraction(0)).certifies(5)
    assert not pi_bracket(terms, quarter_sum(terms), Fraction(1, 10**7)).certifies(5)


def test_bracket_contains_pi() -> None:
    bracket = pi_bracket(1000, quarter_sum(1000), Fraction(1, 10**30))
    pi = Fraction(PI_50)
    assert bracket.lower < pi < bracket.upper
    assert Fraction(bracket.lower_text()) <= bracket.lower
    assert Fraction(bracket.upper_text()) >= bracket.upper


@pytest.mark.parametrize("terms", [0, 3, -2])
def test_bad_term_counts_are_refused(terms: int) -> None:
    with pytest.raises(ValueError, match="positive even"):
        pi_bracket(terms, Fraction(0), Fraction(0))


def test_truncation_is_exact_not_float_rounding() -> None:
    assert format_truncated(Fraction(314159, 100000), 3) == "3.141"
    assert format_truncated(Fraction(3999999999999999999, 10**18), 17) == "3.99999999999999999"
    assert format_truncated(Fraction(7, 2), 0) == "3"
    assert format_rounded(Fraction(-1, 3), 2, upward=False) == "-0.34"
    assert format_rounded(Fraction(1, 3), 2, upward=True) == "0.34"


@pytest.mark.parametrize("digits", [0, 1, 5, 11, 40])
def test_reference_digits_from_mpmath(digits: int) -> None:
    assert reference_digits(digits) == PI_50[: digits + 2 if digits else 1]
