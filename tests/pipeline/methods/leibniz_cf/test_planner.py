"""How a leibniz-cf attempt is cut into chunks for its lanes."""

import itertools
import math
from pathlib import Path

import pytest

from config import Settings
from pipeline.jobs import plan_job
from pipeline.methods.leibniz_cf.plan import plan
from pipeline.methods.leibniz_cf.planner import (
    DEPTH_STEP_COST,
    REFERENCE_DIGIT_COST,
    attempt_chunks,
    layout,
)
from storage.records import ChunkKind


@pytest.mark.parametrize("digits", [0, 1, 50, 3000, 100_000, 1_000_000])
@pytest.mark.parametrize("lanes", [1, 2, 3, 4, 8])
def test_the_chunks_tile_the_series_and_the_depth(digits: int, lanes: int) -> None:
    chosen = plan(digits)
    chunks = attempt_chunks(chosen, lanes, first_index=5)
    assert [c.index for c in chunks] == list(range(5, 5 + len(chunks)))
    assert [c.kind for c in chunks].count(ChunkKind.REFERENCE) == 1

    def tiles(kind: ChunkKind, start: int, stop: int) -> list[tuple[int, int]]:
        ranges = sorted((c.start, c.stop) for c in chunks if c.kind is kind)
        assert ranges[0][0] == start and ranges[-1][1] == stop
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        return ranges

    series = tiles(ChunkKind.SERIES, 0, chosen.terms)
    # Every inner cut on the series grid, so any layout gives the same sum.
    assert all(start % (2 * chosen.series_block) == 0 for start, _ in series)
    tiles(ChunkKind.CORRECTION, 1, chosen.depth + 1)


def lane_loads(digits: int, processes: int) -> list[float]:
    """Each process's estimated cost when processes claim the chunks in index order, each
    its next as it frees up (a list schedule)."""
    chosen = plan(digits)
    loads = [0.0] * processes
    for piece in layout(chosen, processes):
        free = min(range(processes), key=lambda p: loads[p])
        loads[free] += piece.cost
    return loads


@pytest.mark.parametrize("digits", [300_000, 1_000_000])
@pytest.mark.parametrize("lanes", [2, 3, 4])
def test_lanes_finish_together(digits: int, lanes: int) -> None:
    loads = lane_loads(digits, lanes)
    assert len(loads) == lanes
    assert max(loads) <= 1.1 * sum(loads) / lanes, loads


def test_two_lanes_leave_the_reducer_no_merge() -> None:
    """The depth in one chunk: each extra one is a product of two big matrices in the
    reducer, which runs alone; the reference and the depth start at once, on two processes."""
    chunks = attempt_chunks(plan(1_000_000), 2, first_index=0)
    kinds = [c.kind for c in chunks]
    assert kinds.count(ChunkKind.CORRECTION) == 1
    assert {kinds[0], kinds[1]} == {ChunkKind.REFERENCE, ChunkKind.CORRECTION}


@pytest.mark.parametrize("lanes", [8, 16])
def test_a_reference_bigger_than_a_share_fills_its_lane_alone(lanes: int) -> None:
    """Nothing finishes before the reference, so the depth is cut no finer than its size:
    each extra depth chunk would only add a merge to the reducer."""
    chosen = plan(1_000_000)
    loads = lane_loads(1_000_000, lanes)
    reference = chosen.digits * REFERENCE_DIGIT_COST
    assert max(loads) == pytest.approx(reference)
    depth_chunks = [p for p in layout(chosen, lanes) if p.kind is ChunkKind.CORRECTION]
    assert len(depth_chunks) == math.ceil(DEPTH_STEP_COST * chosen.depth / reference)


def test_no_lanes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one lane, got 0"):
        layout(plan(10), 0)


def test_a_job_is_cut_for_the_processes_online(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, worker_concurrency=2)
    chosen = plan(100_000)
    counted = plan_job(settings, "leibniz-cf", 100_000, processes=4)
    assert counted.chunks == attempt_chunks(chosen, 4, first_index=0)
    # No worker beats yet: one worker's processes.
    assert plan_job(settings, "leibniz-cf", 100_000).chunks == attempt_chunks(chosen, 2, 0)
