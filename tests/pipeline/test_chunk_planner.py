"""Cutting term ranges into chunks: every term once, even ends, bounded chunk counts, whole
waves of the worker processes."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.chunk_planner import ChunkPlanner


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
