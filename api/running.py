"""The jobs running now: progress, recent rate, the worker processes on each, time left;
and how busy the fleet's processes have been.

The rate comes from the readings this process took of each job (``RateSampler``), so it
covers the last few seconds rather than the job's whole life; before two readings exist
it falls back to the average since the job's first chunk started.

How busy the processes are comes from the workers' heartbeats, as a share of their time over
a window: counted at one instant, two processes computing back to back read 0, 1 or 2 busy
depending on whether the instant fell in the few milliseconds between two chunks.
"""

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from api.chunk_cache import ChunkCache
from api.progress import job_status, progress
from api.queue_probe import QueueDepthProbe
from api.schemas.running import ProcessOnJob, RunningJob
from pipeline.job_view import first_start
from storage import ChunkRecord, CorruptRecordError, JobNotFoundError, JobStatus, JobStore
from storage.fleet import FleetMember

# Seconds of readings a rate is taken over: long enough to smooth over chunk boundaries,
# short enough to follow a job that just lost or gained workers.
RATE_WINDOW = 10.0
# Readings closer together than this give no rate of their own (two polls in a burst).
MIN_SPAN = 0.5


@dataclass(frozen=True)
class Reading:
    at: float
    terms_done: int
    percent: float


@dataclass(frozen=True)
class Rate:
    terms_per_second: float
    percent_per_second: float
    seconds: float


class RateSampler:
    """Recent readings of each job, thread-safe (routes run in a thread pool)."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._readings: dict[str, deque[Reading]] = {}

    def observe(self, job_id: str, reading: Reading) -> Rate | None:
        with self._lock:
            kept = self._readings.setdefault(job_id, deque())
            if kept and reading.at <= kept[-1].at:
                return _rate(kept[0], kept[-1])
            kept.append(reading)
            # Keep one reading older than the window, so the rate spans the whole window.
            while len(kept) > 2 and kept[1].at <= reading.at - self._window:
                kept.popleft()
            return _rate(kept[0], kept[-1])

    def keep_only(self, job_ids: set[str]) -> None:
        with self._lock:
            for job_id in set(self._readings) - job_ids:
                del self._readings[job_id]


def _rate(first: Reading, last: Reading) -> Rate | None:
    span = last.at - first.at
    if span < MIN_SPAN:
        return None
    return Rate(
        terms_per_second=max(0, last.terms_done - first.terms_done) / span,
        percent_per_second=max(0.0, last.percent - first.percent) / span,
        seconds=span,
    )


def running_job(
    store: JobStore, cache: ChunkCache, sampler: RateSampler, job_id: str, now: float
) -> RunningJob | None:
    """The job's running view; None when it finished, vanished or cannot be read."""
    try:
        job = store.get(job_id)
    except (JobNotFoundError, CorruptRecordError):
        return None
    if job.status.finished:
        return None
    chunks = cache.chunks(store, job_id)
    shown = progress(job, chunks)
    rate = sampler.observe(job_id, Reading(now, shown.terms_done, shown.percent))
    if rate is None:
        rate = _since_start(chunks, shown.terms_done, shown.percent, now)
    eta = None
    if rate is not None and rate.percent_per_second > 0:
        eta = (100.0 - shown.percent) / rate.percent_per_second
    return RunningJob(
        id=job.id,
        method=job.method,
        digits=job.digits,
        owner=job.owner,
        status=job_status(job, chunks),
        pushqtime=job.pushqtime,
        percent=shown.percent,
        terms_done=shown.terms_done,
        terms_total=shown.terms_total,
        chunks_done=shown.chunks_done,
        chunks_total=shown.chunks_total,
        processes=_processes(store, job_id, chunks),
        rate=rate.terms_per_second if rate else None,
        rate_seconds=rate.seconds if rate else None,
        eta_seconds=eta,
    )


def chunks_running(
    store: JobStore, job_id: str, chunks: dict[int, ChunkRecord]
) -> list[ChunkRecord]:
    """The job's chunks a live process computes now, by index."""
    # Only chunks not yet finished can be at work, and the lock (dropped by the kernel when
    # a process dies) tells a live one from a record left behind by a killed worker.
    return [
        record
        for index, record in sorted(chunks.items())
        if record.status is JobStatus.PROGRESS and store.chunk_running(job_id, index)
    ]


def _processes(store: JobStore, job_id: str, chunks: dict[int, ChunkRecord]) -> list[ProcessOnJob]:
    return [
        ProcessOnJob(worker=record.worker, pid=record.pid, chunk=record.index)
        for record in chunks_running(store, job_id, chunks)
    ]


def _since_start(
    chunks: dict[int, ChunkRecord], terms_done: int, percent: float, now: float
) -> Rate | None:
    started = first_start(chunks)
    if started is None:
        return None
    return _rate(Reading(started.timestamp(), 0, 0.0), Reading(now, terms_done, percent))


def running_jobs(
    store: JobStore, cache: ChunkCache, sampler: RateSampler, now: float
) -> list[RunningJob]:
    """Every unfinished job, oldest first; the caches forget the jobs that are not."""
    found = [
        view
        for job_id in store.pending_ids()
        if (view := running_job(store, cache, sampler, job_id, now)) is not None
    ]
    unfinished = {view.id for view in found}
    cache.keep_only(unfinished)
    sampler.keep_only(unfinished)
    return sorted(found, key=lambda view: view.pushqtime)


@dataclass(frozen=True)
class FleetLoad:
    """The live workers' pool processes and the share of their time spent on tasks."""

    workers: int
    processes: int
    # Weighted by pool size, so it is the share of all the processes' time; None while no
    # worker beats (no process time to share).
    busy_share: float | None
    # The longest window a worker's share covers (a worker younger than it covers its life).
    window_seconds: float | None


def fleet_load(members: Sequence[FleetMember]) -> FleetLoad:
    processes = sum(member.processes for member in members)
    if processes == 0:
        return FleetLoad(workers=len(members), processes=0, busy_share=None, window_seconds=None)
    busy = sum(member.busy_share * member.processes for member in members)
    return FleetLoad(
        workers=len(members),
        processes=processes,
        busy_share=min(1.0, busy / processes),
        window_seconds=max(member.busy_window for member in members),
    )


# How old a queue depth may be before /running asks the broker again.
QUEUE_MAX_AGE = 2.0


@dataclass
class RunningState:
    """What /running remembers between requests, one per application."""

    sampler: RateSampler = field(default_factory=RateSampler)
    queue: QueueDepthProbe = field(default_factory=lambda: QueueDepthProbe(QUEUE_MAX_AGE))
