"""The kernel speed measured from finished chunks, and chunks cut from it."""

from datetime import timedelta
from pathlib import Path

from config import Settings
from pipeline.methods.leibniz.method import LEIBNIZ
from pipeline.methods.leibniz.speed import (
    FIRST_GUESS,
    MIN_TERMS,
    SPEED_NAME,
    book,
    measured,
    terms_per_second,
)
from storage import ChunkRecord, JobStatus
from storage.records import utcnow
from storage.speeds import Speed
from tests.conftest import MethodEnv


def record(index: int, terms: int, seconds: float, attempts: int = 1) -> ChunkRecord:
    start = utcnow()
    return ChunkRecord(
        index=index,
        start=terms * index,
        stop=terms * (index + 1),
        status=JobStatus.SUCCESS,
        terms_done=terms,
        attempts=attempts,
        attempt_start=start,
        stoptime=start + timedelta(seconds=seconds),
    )


def test_the_median_of_chunks_that_ran_once_long_enough() -> None:
    records = {
        0: record(0, 10**9, 0.1),  # 1e10/s
        1: record(1, 10**9, 0.05),  # 2e10/s
        2: record(2, 10**9, 0.04),  # 2.5e10/s
        3: record(3, 10**9, 0.01, attempts=2),  # resumed: its run is not its terms'
        4: record(4, 10**6, 0.001),  # too short to measure the kernel
    }
    speed = measured(records)
    assert speed is not None and speed.chunks == 3
    assert speed.units_per_second == 2e10


def test_a_tiny_chunk_slowed_by_a_busy_machine_is_not_the_kernel_speed() -> None:
    # A 1-digit job's chunk, 42 terms, which took 50 ms on a loaded machine: its run is the
    # task around the kernel, and the figure would cut the next 1-digit job in two.
    assert measured({0: record(0, 42, 0.05), 1: record(1, 42, 0.03)}) is None
    speed = measured({0: record(0, 42, 0.05), 1: record(1, MIN_TERMS, 0.02)})
    assert speed is not None and speed.chunks == 1


def test_a_figure_booked_from_tiny_chunks_is_not_used(
    tmp_path: Path, method_env: MethodEnv
) -> None:
    settings = Settings(state_dir=tmp_path, chunk_seconds=0.25)
    # Below what the bimodal runs booked (894.7): enough to cut even 42 terms in two.
    book(settings).record(SPEED_NAME, Speed(units_per_second=500.0, chunks=1))
    assert terms_per_second(settings) == FIRST_GUESS
    # So a 1-digit job is one chunk, not 2, and a 5-digit job one, not 2,048.
    planner = LEIBNIZ.series_planner(settings, 2)
    assert len(planner.split(0, 42)) == 1
    assert len(planner.split(0, 376_848)) == 1


def test_nothing_measurable_gives_no_speed() -> None:
    assert measured({}) is None
    assert measured({0: record(0, 10, 0.001)}) is None


def test_chunks_are_cut_from_the_setting_else_the_measured_speed(
    tmp_path: Path, method_env: MethodEnv
) -> None:
    settings = Settings(state_dir=tmp_path, chunk_seconds=0.25)
    assert terms_per_second(settings) == FIRST_GUESS
    fast = measured({0: record(0, 4 * 10**9, 0.1)})
    assert fast is not None
    book(settings).record(SPEED_NAME, fast)
    assert terms_per_second(settings) == 4e10
    assert LEIBNIZ.series_planner(settings, 2).chunk_terms == 10**10
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND="1e6")
    assert terms_per_second(settings) == 1e6
