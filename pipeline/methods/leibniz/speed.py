"""The kernel's speed on the workers' own CPUs, measured from finished chunks: chunks are cut
to last PICHORD_CHUNK_SECONDS there, not on a CPU assumed when the settings were written.

A chunk's speed is its terms over its last attempt's run; the job's figure is the median of
its chunks that ran once and long enough for the run to dwarf a checkpoint's write. They ran
beside the job's other chunks, so the figure is a process's speed with every process busy:
the speed a chunk will have.
"""

import statistics

from config import Settings
from pipeline.methods.leibniz.settings import LeibnizSettings
from storage import ChunkRecord
from storage.layout import StateLayout
from storage.speeds import Speed, SpeedBook

SPEED_NAME = "leibniz-kernel"
# Below every CPU of this machine class (15-48 G terms/s): a first job's chunks are shorter
# than they should be, never longer.
FIRST_GUESS = 1.6e10
# Chunks shorter than this measure the task around them more than the kernel.
MIN_RUN_SECONDS = 0.02


def chunk_speeds(records: dict[int, ChunkRecord]) -> list[float]:
    """Terms per second of each finished chunk that ran once, for long enough."""
    speeds = []
    for record in records.values():
        if not record.finished or record.attempts != 1:
            continue
        if record.attempt_start is None or record.stoptime is None:
            continue
        run = (record.stoptime - record.attempt_start).total_seconds()
        if run >= MIN_RUN_SECONDS:
            speeds.append((record.stop - record.start) / run)
    return speeds


def measured(records: dict[int, ChunkRecord]) -> Speed | None:
    speeds = chunk_speeds(records)
    if not speeds:
        return None
    return Speed(units_per_second=statistics.median(speeds), chunks=len(speeds))


def book(settings: Settings) -> SpeedBook:
    return SpeedBook(StateLayout(settings.state_dir).speeds)


def terms_per_second(settings: Settings) -> float:
    """PICHORD_KERNEL_TERMS_PER_SECOND when set; else the speed the last job measured; else
    a conservative guess for a first job."""
    given = LeibnizSettings.current().kernel_terms_per_second
    if given is not None:
        return given
    speed = book(settings).get(SPEED_NAME)
    return speed.units_per_second if speed is not None else FIRST_GUESS


def record_speed(settings: Settings, records: dict[int, ChunkRecord]) -> None:
    """Book the speed a finished job's chunks measured, for the next job's chunk sizes."""
    speed = measured(records)
    if speed is not None:
        book(settings).record(SPEED_NAME, speed)
