import itertools
import random

import mpmath
import pytest

from pipeline.methods.leibniz_cf.encoding import MatrixDecodeError, decode_matrix, encode_matrix
from pipeline.methods.leibniz_cf.fraction import (
    combine,
    convergents,
    range_product,
    tail_bracket,
)


def tail_value(terms: int) -> mpmath.mpf:
    """T_M = (-1)^M (pi - S_M), with S_M summed in mpmath's own arithmetic."""
    s = mpmath.fsum(mpmath.mpf(4 * (-1) ** k) / (2 * k + 1) for k in range(terms))
    return (-1) ** terms * (mpmath.pi - s)


@pytest.mark.parametrize("terms", [1, 2, 3, 4, 7, 10, 33, 100, 501, 1000])
def test_tail_lies_strictly_inside_the_bracket_at_every_depth(terms: int) -> None:
    precision = 60
    with mpmath.workdps(precision + 40):
        scaled = tail_value(terms) * mpmath.mpf(10) ** precision
        for depth in [*range(1, 41), 99, 100, 257, 400]:
            b = tail_bracket(convergents(range_product(terms, 1, depth + 1), depth), precision)
            assert b.lower < scaled < b.upper, (terms, depth)


def test_odd_convergents_lie_above_and_even_below() -> None:
    with mpmath.workdps(80):
        for terms in (1, 2, 5, 50):
            t = tail_value(terms)
            for depth in range(1, 30):
                c = convergents(range_product(terms, 1, depth + 1), depth)
                value = mpmath.mpf(c.p) / c.q
                assert (value > t) if depth % 2 else (value < t)


def test_shortened_division_keeps_the_bracket_within_a_unit_of_exact() -> None:
    # Deep enough that the convergents are far longer than W, so they are shortened.
    terms, depth, precision = 40, 3000, 200
    c = convergents(range_product(terms, 1, depth + 1), depth)
    scale = 10**precision
    assert c.q.bit_length() > 4 * scale.bit_length()
    b = tail_bracket(c, precision)
    exact_low = scale * c.p // c.q if depth % 2 == 0 else scale * c.p_prev // c.q_prev
    exact_high = -(-scale * c.p // c.q) if depth % 2 else -(-scale * c.p_prev // c.q_prev)
    assert exact_low - 1 <= b.lower <= exact_low
    assert exact_high <= b.upper <= exact_high + 1


def test_any_split_of_the_depth_range_gives_the_same_product() -> None:
    terms, depth = 1001, 700
    whole = range_product(terms, 1, depth + 1)
    rng = random.Random(14)
    for parts in (1, 2, 3, 5, 16, 64):
        cuts = sorted(rng.sample(range(2, depth + 1), parts - 1))
        bounds = [1, *cuts, depth + 1]
        products = [range_product(terms, a, b) for a, b in itertools.pairwise(bounds)]
        assert combine(products) == whole


def test_an_empty_range_is_the_identity() -> None:
    assert range_product(10, 5, 5) == (1, 0, 0, 1)
    with pytest.raises(ValueError, match="depth range"):
        range_product(10, 0, 5)


def test_a_matrix_survives_its_bytes() -> None:
    matrix = range_product(10**6, 1, 2000)
    assert decode_matrix(encode_matrix(matrix)) == matrix
    data = encode_matrix(matrix)
    with pytest.raises(MatrixDecodeError):
        decode_matrix(data[:-1])
    with pytest.raises(MatrixDecodeError):
        decode_matrix(data + b"\0")
