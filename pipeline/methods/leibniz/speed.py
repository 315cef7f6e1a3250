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
# Nor does a run's length alone tell that the kernel was measured: on a busy machine a chunk
# of 42 terms (a 1-digit job) took 20-50 ms, booked as ~900 terms/s, and the next jobs were
# cut into chunks of a few hundred terms (2 for 1 digit, 1,690 for 5), whose tasks loaded the
# machine further. A chunk counts only if it is at least MIN_RUN_SECONDS of kernel work on a
# CPU as slow as FIRST_GUESS, slower than any of the class.
MIN_TERMS = int(FIRST_GUESS * MIN_RUN_SECONDS)
# Slower than any compiled kernel: a figure booked from tiny chunks before MIN_TERMS, which
# the next jobs' tiny chunks could never correct. Read as no figure.
IMPLAUSIBLE = FIRST_GUESS / 100


def chunk_speeds(records: dict[int, ChunkRecord]) -> list[float]:
    """Terms per second of each finished chunk that ran once, with terms enough, for long
    enough."""
    speeds = []
    for record in records.values():
        if not record.finished or record.attempts != 1:
            continue
        if record.attempt_start is None or record.stoptime is None:
            continue
        if record.stop - record.start < MIN_TERMS:
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
    if speed is None or speed.units_per_second < IMPLAUSIBLE:
        return FIRST_GUESS
    return speed.units_per_second


def record_speed(settings: Settings, records: dict[int, ChunkRecord]) -> None:
    """Book the speed a finished job's chunks measured, for the next job's chunk sizes."""
    speed = measured(records)
    if speed is not None:
        book(settings).record(SPEED_NAME, speed)
