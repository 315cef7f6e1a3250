import itertools

import pytest

from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_cf.certificate import pi_bracket
from pipeline.methods.leibniz_cf.fraction import Matrix, convergents, multiply, tail_bracket
from pipeline.methods.leibniz_cf.merge import reduce_chunks
from pipeline.methods.leibniz_cf.plan import CfPlan, plan
from pipeline.methods.leibniz_cf.series import series_sum
from pipeline.verify import reference_digits
from tests.pipeline.methods.leibniz_cf.even_split import depth_chunk, series_chunk, split


def run(p: CfPlan, workers: int = 2) -> str | None:
    s = split(p, workers)
    series = [series_chunk(p, a, b) for a, b in s.series]
    products = [depth_chunk(p, a, b) for a, b in s.depth]
    return reduce_chunks(p, series, products).certified_digits()


@pytest.mark.parametrize("digits", [0, 1, 2, 50, *range(761, 768), 1000, 10_000, 100_000])
def test_certified_digits_equal_mpmath(digits: int) -> None:
    assert run(plan(digits)) == reference_digits(digits)


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_any_split_gives_the_same_bracket(workers: int) -> None:
    p = plan(2000)
    s = split(p, workers)
    bracket = reduce_chunks(
        p,
        [series_chunk(p, a, b) for a, b in s.series],
        [depth_chunk(p, a, b) for a, b in s.depth],
    )
    single = reduce_chunks(p, [series_chunk(p, 0, p.terms)], [depth_chunk(p, 1, p.depth + 1)])
    assert bracket == single
    assert bracket.certified_digits() == single.certified_digits() == reference_digits(2000)


def shallowest_certifying_depth(digits: int, terms: int, precision: int) -> int:
    scale = 10**precision
    series = series_sum(scale, 0, terms, 1 << 20)
    product: Matrix = (1, 0, 0, 1)
    for depth in itertools.count(1):
        product = multiply(product, depth_chunk_matrix(terms, depth))
        tail = tail_bracket(convergents(product, depth), precision)
        result = pi_bracket(digits, terms, series, tail).certified_digits()
        if result is not None:
            assert result == reference_digits(digits)
            return depth
        # Never wrong on the way: every shallower depth refused.
    raise AssertionError("unreachable")


def depth_chunk_matrix(terms: int, k: int) -> Matrix:
    return (2 * terms, 1, 2 if k == 1 else (k - 1) ** 2, 0)


@pytest.mark.parametrize("digits", [50, 762, 1000])
def test_a_depth_one_short_refuses_to_certify(digits: int) -> None:
    p = plan(digits)
    needed = shallowest_certifying_depth(digits, p.terms, p.precision)
    assert needed <= p.depth
    short = CfPlan(digits, p.terms, needed - 1, p.precision, p.attempt)
    assert run(short) is None
    assert run(CfPlan(digits, p.terms, needed, p.precision, p.attempt)) == reference_digits(digits)


def test_a_run_of_nines_across_the_cut_asks_for_the_next_attempt() -> None:
    # pi's decimals 762..767 are 999999: with four guard digits the bracket straddles the cut.
    p = plan(762)
    thin = CfPlan(762, p.terms, p.depth, 766, 1)
    s = split(thin, 2)
    bracket = reduce_chunks(
        thin,
        [series_chunk(thin, a, b) for a, b in s.series],
        [depth_chunk(thin, a, b) for a, b in s.depth],
    )
    assert bracket.certified_digits() is None
    assert bracket.resolves_cut()
    assert run(plan(762, attempt=2)) == reference_digits(762)


def test_an_odd_number_of_terms_subtracts_the_tail() -> None:
    digits, terms, precision = 40, 65, 60
    scale = 10**precision
    series = series_sum(scale, 0, 64, 10**6)
    last = 4 * scale * (-1) ** 64 // (2 * 64 + 1)
    # The 65th term floored in its own unit: the sum stays a lower bound within two units.
    odd_series = FixedSum(series.value + last, series.error + 1)
    depth = 200
    tail = tail_bracket(convergents(depth_chunk_product(terms, depth), depth), precision)
    assert pi_bracket(digits, terms, odd_series, tail).certified_digits() == reference_digits(
        digits
    )


def depth_chunk_product(terms: int, depth: int) -> Matrix:
    p = CfPlan(0, terms, depth, 10, 1)
    return depth_chunk(p, 1, depth + 1)


def test_the_certificate_shows_both_ends_to_three_more_decimals() -> None:
    p = plan(100)
    s = split(p, 2)
    bracket = reduce_chunks(
        p,
        [series_chunk(p, a, b) for a, b in s.series],
        [depth_chunk(p, a, b) for a, b in s.depth],
    )
    low, high = bracket.end_text(103)
    assert low < high
    assert low.startswith(reference_digits(100)) and high.startswith(reference_digits(100))


@pytest.mark.parametrize("digits", [0, 1, 3, 50, 761, 765, 2000])
def test_the_ends_beside_the_digits_equal_the_ends_converted_whole(digits: int) -> None:
    p = plan(digits)
    bracket = reduce_chunks(p, [series_chunk(p, 0, p.terms)], [depth_chunk(p, 1, p.depth + 1)])
    text = bracket.certified_digits()
    assert text is not None
    assert bracket.ends_beside(text, 3) == bracket.end_text(digits + 3)
