"""A leibniz-euler plan bounds the remainder below the last digit asked for."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.methods.leibniz_euler.plan import correction_terms_needed, log10_secant, plan


@settings(max_examples=60, deadline=None)
@given(digits=st.integers(0, 20_000))
def test_euler_plan_bounds_the_remainder_below_the_last_digit(digits: int) -> None:
    p = plan(digits)
    assert p.terms % 2 == 0 and p.terms >= 1000
    assert p.precision > digits
    k = p.correction_terms
    bound = log10_secant(k) - k * math.log10(4) - (2 * k + 1) * math.log10(p.terms)
    assert bound < -(digits + 3)
    assert correction_terms_needed(digits, p.terms) is not None
