import itertools
from fractions import Fraction

import mpmath
import pytest

from pipeline.certify import pi_bracket
from pipeline.planning import ChunkPlanner, extended_terms, terms_needed
from tests.pipeline.test_leibniz import closed_form

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


@pytest.mark.parametrize(
    ("terms", "chunk_terms", "parallelism"),
    [
        (24, 10**9, 2),
        (2522, 10**9, 2),
        (10**9, 10**8, 2),
        (10**9 + 2, 3 * 10**8, 4),
        (10**10, 4 * 10**9, 8),
    ],
)
def test_chunks_cover_every_term_exactly_once(
    terms: int, chunk_terms: int, parallelism: int
) -> None:
    chunks = ChunkPlanner(chunk_terms, parallelism).split(0, terms)
    assert chunks[0][0] == 0 and chunks[-1][1] == terms
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
    assert all(a % 2 == 0 and b % 2 == 0 and b > a for a, b in chunks)


def test_tiny_job_is_one_chunk_large_job_feeds_every_process() -> None:
    planner = ChunkPlanner(chunk_terms=4 * 10**9, parallelism=4)
    assert len(planner.split(0, 2522)) == 1
    assert len(planner.split(0, 2 * 10**9)) == 4
    # 25 chunks' worth of terms, cut into whole waves of 4.
    assert len(planner.split(0, 10**11)) == 28


def test_chunk_count_is_capped() -> None:
    chunks = ChunkPlanner(chunk_terms=1000, parallelism=2, max_chunks=64).split(0, 10**9)
    assert len(chunks) == 64 and chunks[-1][1] == 10**9


def test_planned_terms_certify_with_the_closed_form() -> None:
    # The exact partial sum at the planned N must fix the digits (no second round).
    for digits in range(0, 12):
        terms = terms_needed(digits)
        with mpmath.workdps(60):
            quarter = Fraction(mpmath.nstr(closed_form(terms), 55, strip_zeros=False))
        assert pi_bracket(terms, quarter, Fraction(1, 10**40)).certifies(digits), digits
