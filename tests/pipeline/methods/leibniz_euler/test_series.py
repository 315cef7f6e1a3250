from fractions import Fraction

import mpmath
import pytest

from pipeline.methods.fixed_point import ZERO
from pipeline.methods.leibniz_euler.certificate import EulerBracket, bracket, common_prefix_digits
from pipeline.methods.leibniz_euler.euler_numbers import secant_numbers
from pipeline.methods.leibniz_euler.plan import RUN_GUARD, EulerPlan, plan
from pipeline.methods.leibniz_euler.series import (
    PREFIX_CORRECTION_TERMS,
    correction_sum,
    pair_sum,
    prefix_bracket,
    tail,
)
from pipeline.verify import reference_digits


def euler_number(index: int, secants: list[int]) -> int:
    """E_index with its sign (zero for odd index), from a secant table long enough."""
    if index % 2:
        return 0
    value = secants[index // 2]
    return -value if (index // 2) % 2 else value


def compute(digits: int, max_rounds: int = 6) -> EulerBracket:
    """The whole method in one process, with more guard digits each round, as the reducer
    would plan them, until the digits are fixed."""
    result = None
    for round_ in range(1, max_rounds + 1):
        p = plan(digits, extra=RUN_GUARD * round_)
        secants = secant_numbers(p.correction_terms + 1)
        result = bracket(p, pair_sum(p.scale, 0, p.terms), tail(p, secants))
        if result.certifies():
            return result
    assert result is not None
    return result


# OEIS A000364: |E_0|, |E_2|, |E_4|, ...
SECANTS = [1, 1, 5, 61, 1385, 50521, 2702765, 199360981, 19391512145, 2404879675441]


def test_secant_numbers_are_the_euler_numbers() -> None:
    assert secant_numbers(len(SECANTS)) == SECANTS
    table = secant_numbers(40)
    assert [euler_number(i, table) for i in range(9)] == [1, 0, -1, 0, 5, 0, -61, 0, 1385]
    for k in (10, 25, 39):  # against mpmath's own Euler numbers
        assert euler_number(2 * k, table) == int(mpmath.eulernum(2 * k, exact=True))


@pytest.mark.parametrize("terms", [1, 2, 7, 10, 31])
@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_remainder_has_the_sign_and_bound_of_the_first_omitted_term(terms: int, k: int) -> None:
    secants = secant_numbers(k + 1)
    with mpmath.workdps(60):
        s_m = 4 * mpmath.fsum(mpmath.mpf((-1) ** j) / (2 * j + 1) for j in range(terms))
        head = mpmath.fsum(
            mpmath.mpf(euler_number(2 * m, secants)) / (4**m * mpmath.mpf(terms) ** (2 * m + 1))
            for m in range(k)
        )
        remainder = (mpmath.pi - s_m) * (-1) ** terms - head
        bound = mpmath.mpf(secants[k]) / (4**k * mpmath.mpf(terms) ** (2 * k + 1))
        assert 0 < (-1) ** k * remainder < bound


def test_fixed_point_sums_are_one_sided() -> None:
    scale = 10**30
    part = pair_sum(scale, 10, 400)
    exact = scale * sum((Fraction(4 * (-1) ** k, 2 * k + 1) for k in range(10, 400)), Fraction(0))
    assert part.value <= exact < part.value + part.error
    secants = secant_numbers(8)
    corr = correction_sum(scale, 100, secants, 7)
    exact_corr = scale * sum(
        (Fraction(euler_number(2 * m, secants), 4**m * 100 ** (2 * m + 1)) for m in range(7)),
        Fraction(0),
    )
    assert corr.value <= exact_corr < corr.value + corr.error


@pytest.mark.parametrize(
    "digits", [0, 1, 2, 50, 300, 761, 762, 763, 764, 765, 766, 767, 1000, 2000]
)
def test_digits_are_certified_and_match_mpmath(digits: int) -> None:
    # 761..767: the Feynman point, six 9s from decimal 762.
    result = compute(digits)
    assert result.certifies()
    assert result.lower < result.upper
    assert result.digits() == reference_digits(digits)


def test_too_few_correction_terms_do_not_certify() -> None:
    good = plan(200)
    weak = EulerPlan(200, good.terms, 3, good.precision)
    secants = secant_numbers(4)
    result = bracket(weak, pair_sum(weak.scale, 0, weak.terms), tail(weak, secants))
    assert not result.certifies()
    with pytest.raises(ValueError, match="does not fix"):
        result.digits()


def test_plan_keeps_m_even_and_k_near_the_reference_points() -> None:
    for digits, reference_k in ((1000, 219), (5000, 778), (10000, 1440)):
        p = plan(digits)
        assert p.terms % 2 == 0
        assert p.correction_terms < 1.1 * reference_k
        assert p.precision > digits


def test_common_prefix_is_what_both_ends_share() -> None:
    assert common_prefix_digits(314159, 314199, 5, 5) == "3.141"
    assert common_prefix_digits(314159, 314159, 5, 3) == "3.141"
    assert common_prefix_digits(314159, 324159, 5, 5) == "3"
    assert common_prefix_digits(294159, 314159, 5, 5) is None


@pytest.mark.parametrize("terms", [2, 10, 1000, 20000])
def test_prefix_bracket_contains_pi(terms: int) -> None:
    precision = 400
    secants = secant_numbers(PREFIX_CORRECTION_TERMS + 1)
    lower, upper = prefix_bracket(precision, terms, pair_sum(10**precision, 0, terms), secants)
    with mpmath.workdps(precision + 20):
        scaled = mpmath.pi * mpmath.mpf(10) ** precision
        assert lower < scaled < upper


def test_pair_sum_chunks_add_to_a_bracket_of_the_whole_sum() -> None:
    # Chunks as the reducer adds them; that any order gives the same sum is FixedSum's own
    # test (tests/pipeline/methods/test_fixed_point.py).
    scale = 10**50
    pieces = [pair_sum(scale, a, a + 200) for a in range(0, 2000, 200)]
    forward = sum(pieces, ZERO)
    exact = scale * sum((Fraction(4 * (-1) ** k, 2 * k + 1) for k in range(2000)), Fraction(0))
    assert forward.value <= exact < forward.value + forward.error
