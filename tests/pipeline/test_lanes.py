from pathlib import Path

import pytest

from pipeline.lanes import Lane, lane_heads, next_in_lane
from storage import ChunkRecord, ChunkSpec, JobStatus, JobStore
from tests.conftest import JobFactory


def specs(indices: list[int]) -> list[ChunkSpec]:
    return [ChunkSpec(index=i, start=2 * i, stop=2 * i + 2) for i in indices]


def walk(heads: list[ChunkSpec], lane: Lane) -> list[list[int]]:
    return [[head.index, *lane.following(head.index)] for head in heads]


def test_every_chunk_is_in_exactly_one_lane() -> None:
    heads, lane = lane_heads(specs(list(range(10))), 4)
    assert [h.index for h in heads] == [0, 1, 2, 3]
    assert walk(heads, lane) == [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]


def test_a_job_with_fewer_chunks_than_lanes_gets_one_lane_per_chunk() -> None:
    heads, lane = lane_heads(specs([0, 1]), 8)
    assert walk(heads, lane) == [[0], [1]]


def test_a_later_round_starts_its_lanes_at_its_own_chunks() -> None:
    heads, lane = lane_heads(specs(list(range(25, 31))), 2)
    assert walk(heads, lane) == [[25, 27, 29], [26, 28, 30]]


def test_messages_without_a_lane_end_after_their_chunk() -> None:
    assert list(Lane().following(3)) == []
    with pytest.raises(ValueError, match="at least one lane"):
        lane_heads(specs([0]), 0)


def test_next_in_lane_skips_finished_chunks(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job([(2 * i, 2 * i + 2) for i in range(8)], digits=1)
    chunks = job.chunks
    lane = Lane(step=2, stop=8)
    for index, status, done in ((2, JobStatus.SUCCESS, 2), (4, JobStatus.PROGRESS, 1)):
        spec = chunks[index]
        store.save_chunk(
            job.id,
            ChunkRecord(
                index=index, start=spec.start, stop=spec.stop, status=status, terms_done=done
            ),
        )
    # 2 is done; 4 was started by a process that died: it is the lane's to resume.
    upcoming = next_in_lane(store, job, 0, lane)
    assert upcoming is not None and upcoming[0].index == 4
    assert upcoming[1] is not None and upcoming[1].terms_done == 1
    next_after = next_in_lane(store, job, 4, lane)
    assert next_after is not None and next_after[0].index == 6 and next_after[1] is None
    assert next_in_lane(store, job, 6, lane) is None
