"""Property tests of the planners: every term once, even ends, bounded chunk counts."""

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.leibniz_euler import correction_terms_needed, log10_secant, plan
from pipeline.planning import ChunkPlanner


@given(
    start=st.integers(0, 10**13).map(lambda n: 2 * n),
    length=st.integers(1, 10**12).map(lambda n: 2 * n),
    chunk_terms=st.integers(2, 10**11),
    parallelism=st.integers(1, 256),
    max_chunks=st.integers(1, 5000),
)
def test_split_covers_each_term_once_with_even_ends(
    start: int, length: int, chunk_terms: int, parallelism: int, max_chunks: int
) -> None:
    planner = ChunkPlanner(chunk_terms=chunk_terms, parallelism=parallelism, max_chunks=max_chunks)
    ranges = planner.split(start, start + length)
    assert 1 <= len(ranges) <= max_chunks
    assert ranges[0][0] == start and ranges[-1][1] == start + length
    assert all(left[1] == right[0] for left, right in itertools.pairwise(ranges))
    assert all(a < b and a % 2 == 0 and b % 2 == 0 for a, b in ranges)


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
