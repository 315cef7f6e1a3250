"""Prometheus metrics: host gauges after node_exporter's names (under ``pichord_``), jobs and
chunks from the store, the fleet from its heartbeats, the queue from the broker, and HTTP
request counts and latency.

Each app gets its own registry, so several apps (tests, workers in one process) never share
or clash over global collectors. Everything is read at scrape time except the chunk-time
histograms, which only the API can fill: it observes each chunk once, at the first scrape
that finds it finished (see ``ChunkTimes``).
"""

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import psutil
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from api.chunk_cache import ChunkCache
from api.host import readings
from api.progress import job_status
from api.queue_probe import Depth, QueueDepthProbe
from api.running import chunks_running, fleet_load
from config import Settings
from pipeline.celery_config import PichordCelery
from pipeline.fleet import live_workers
from pipeline.methods import method_names
from storage import (
    ChunkRecord,
    CorruptRecordError,
    JobNotFoundError,
    JobRecord,
    JobStatus,
    JobStore,
)
from storage.records import ChunkKind, utcnow

# Job durations in seconds: from small jobs (tens of ms) to n=11 (minutes).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
# A chunk is planned to take PICHORD_CHUNK_SECONDS (0.25 s by default, 600 at most).
CHUNK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
# A lane ticket waits milliseconds behind an idle fleet and minutes behind other jobs.
QUEUE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

# A queue depth older than this is asked again, and a scrape waits at most QUEUE_WAIT for
# the answer before it reports the last one: the broker answers in milliseconds, but one
# that is down takes ~6 s to say so, longer than a 1 s scrape interval allows.
QUEUE_MAX_AGE = 0.5
QUEUE_WAIT = 0.5
# A depth older than this is not reported at all (a broker that hangs without refusing).
QUEUE_STALE = 10.0


class HostCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        cpu = CounterMetricFamily(
            "pichord_cpu_seconds",
            "Seconds the CPUs spent in each mode.",
            labels=["cpu", "mode"],
        )
        for index, times in enumerate(psutil.cpu_times(percpu=True)):
            for mode, seconds in times._asdict().items():
                cpu.add_metric([str(index), mode], seconds)
        yield cpu
        for minutes, value in zip((1, 5, 15), os.getloadavg(), strict=True):
            yield GaugeMetricFamily(
                f"pichord_load{minutes}", f"{minutes}m load average.", value=value
            )
        memory = psutil.virtual_memory()
        # node_exporter's MemTotal/MemAvailable, in the snake case promtool asks for.
        yield GaugeMetricFamily(
            "pichord_memory_total_bytes", "Memory in total.", value=memory.total
        )
        yield GaugeMetricFamily(
            "pichord_memory_available_bytes", "Memory available.", value=memory.available
        )
        yield GaugeMetricFamily(
            "pichord_boot_time_seconds", "Boot time, POSIX.", value=psutil.boot_time()
        )
        labels = ["device", "mountpoint", "fstype"]
        size = GaugeMetricFamily("pichord_filesystem_size_bytes", "Filesystem size.", labels=labels)
        avail = GaugeMetricFamily(
            "pichord_filesystem_avail_bytes", "Filesystem space free.", labels=labels
        )
        for part in readings.partitions(include_pseudo=False):
            if part.usage is not None:
                key = [part.device, part.mountpoint, part.fstype]
                size.add_metric(key, part.usage.total)
                avail.add_metric(key, part.usage.free)
        yield size
        yield avail


@dataclass(frozen=True)
class JobFigures:
    """What the job gauges count of one job."""

    status: JobStatus
    chunks_done: int
    terms_done: int
    # Submit to SUCCESS; None for any other job.
    duration: float | None


def job_figures(job: JobRecord, chunks: dict[int, ChunkRecord]) -> JobFigures:
    series = {s.index for s in job.chunks if s.kind is ChunkKind.SERIES}
    duration = None
    if job.status is JobStatus.SUCCESS and job.stoptime is not None:
        duration = (job.stoptime - job.pushqtime).total_seconds()
    return JobFigures(
        status=job_status(job, chunks),
        chunks_done=sum(1 for c in chunks.values() if c.finished),
        terms_done=sum(c.terms_done for c in chunks.values() if c.index in series),
        duration=duration,
    )


class ChunkTimes:
    """Histograms of each finished chunk's run and of its lane ticket's wait in the queue,
    by method.

    Only the workers see a chunk run, and they keep no metrics, so the API observes a chunk
    when a scrape first finds it finished: once per chunk per API process, and only chunks
    that finished after ``since`` (this process's start), so a restarted API does not count
    again what its predecessor counted. The run is the chunk's last attempt, from
    ``attempt_start`` to ``stoptime``; the wait is ``queue_seconds``.
    """

    def __init__(self, since: datetime) -> None:
        self._since = since
        self.compute = Histogram(
            "pichord_chunk_compute_seconds",
            "Seconds a finished chunk's last attempt ran, observed once per chunk.",
            ["method"],
            registry=None,
            buckets=CHUNK_BUCKETS,
        )
        self.queued = Histogram(
            "pichord_chunk_queue_seconds",
            "Seconds the lane ticket that started a finished chunk waited in the queue.",
            ["method"],
            registry=None,
            buckets=QUEUE_BUCKETS,
        )
        # Series from the start for every known method, so rate() has a zero to start from.
        for name in method_names():
            self.compute.labels(name)
            self.queued.labels(name)
        # job id -> chunk index -> the stoptime already observed (a chunk computed again,
        # by a later round or after a loss, has a new one).
        self._seen: dict[str, dict[int, datetime]] = {}

    def observe(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> None:
        seen = self._seen.setdefault(job.id, {})
        for record in chunks.values():
            stop = record.stoptime
            if not record.finished or stop is None or stop < self._since:
                continue
            if seen.get(record.index) == stop:
                continue
            seen[record.index] = stop
            if record.attempt_start is not None:
                run = (stop - record.attempt_start).total_seconds()
                self.compute.labels(job.method).observe(max(0.0, run))
            if record.queue_seconds is not None:
                self.queued.labels(job.method).observe(record.queue_seconds)

    def keep_only(self, job_ids: set[str]) -> None:
        for job_id in set(self._seen) - job_ids:
            del self._seen[job_id]

    def collect(self) -> Iterator[Metric]:
        yield from self.compute.collect()
        yield from self.queued.collect()


class JobCollector(Collector):
    """Read from the job store at scrape time: the store, not this process, is the truth.

    A scrape every second must stay cheap with jobs of 2,048 chunks: an unfinished job's
    chunks come through the chunk cache (a stat per chunk, a read of the changed ones), and
    a finished job's figures are read once and kept, since they no longer change.
    """

    def __init__(
        self, store_of: Callable[[], JobStore], cache_of: Callable[[], ChunkCache]
    ) -> None:
        # The store is made in the app's lifespan, after the collector is registered.
        self._store_of = store_of
        self._cache_of = cache_of
        self._lock = threading.Lock()
        self._finished: dict[str, JobFigures] = {}
        self.chunk_times = ChunkTimes(since=utcnow())

    def collect(self) -> Iterator[Metric]:
        # Scrapes may overlap (routes run in a thread pool); each chunk is observed once.
        with self._lock:
            figures, running = self._scan()
        yield from _job_families(figures)
        yield from self.chunk_times.collect()
        in_flight = GaugeMetricFamily(
            "pichord_job_chunks_running",
            "Chunks of each unfinished job that a live worker process computes now.",
            # Not "job": Prometheus sets that label on every series to the scrape job's name.
            labels=["job_id", "method"],
        )
        for job, count in running:
            in_flight.add_metric([job.id, job.method], count)
        yield in_flight

    def _scan(self) -> tuple[list[JobFigures], list[tuple[JobRecord, int]]]:
        store, cache = self._store_of(), self._cache_of()
        stored = store.ids()
        for gone in set(self._finished) - set(stored):
            del self._finished[gone]
        figures: list[JobFigures] = []
        running: list[tuple[JobRecord, int]] = []
        for job_id in stored:
            known = self._finished.get(job_id)
            if known is not None:
                figures.append(known)
                continue
            try:
                job = store.get(job_id)
            except JobNotFoundError:
                continue
            except CorruptRecordError:
                # Shown as a failed task by the API too.
                figures.append(JobFigures(JobStatus.FAILURE, 0, 0, None))
                continue
            chunks = cache.job_chunks(store, job)
            self.chunk_times.observe(job, chunks)
            found = job_figures(job, chunks)
            figures.append(found)
            if job.status.finished:
                self._finished[job_id] = found
            else:
                running.append((job, len(chunks_running(store, job_id, chunks))))
        # A finished job's chunks are not looked at again.
        self.chunk_times.keep_only({job.id for job, _ in running})
        return figures, sorted(running, key=lambda item: item[0].pushqtime)


def _job_families(figures: list[JobFigures]) -> Iterator[Metric]:
    jobs = GaugeMetricFamily("pichord_jobs", "Stored jobs by status.", labels=["status"])
    for status in JobStatus:
        jobs.add_metric([status.value], sum(1 for f in figures if f.status is status))
    yield jobs
    yield GaugeMetricFamily(
        "pichord_chunks_done",
        "Finished chunks of stored jobs.",
        value=sum(f.chunks_done for f in figures),
    )
    yield GaugeMetricFamily(
        "pichord_terms_computed",
        "Series terms summed for stored jobs.",
        value=sum(f.terms_done for f in figures),
    )
    durations = [f.duration for f in figures if f.duration is not None]
    buckets = [(str(b), sum(1 for d in durations if d <= b)) for b in DURATION_BUCKETS]
    buckets.append(("+Inf", len(durations)))
    yield HistogramMetricFamily(
        "pichord_job_duration_seconds",
        "Submit to SUCCESS, stored jobs.",
        buckets=buckets,
        sum_value=sum(durations),
    )


class FleetCollector(Collector):
    """The workers from their heartbeat files: a directory read, no broker round trip."""

    def __init__(self, settings_of: Callable[[], Settings]) -> None:
        self._settings_of = settings_of

    def collect(self) -> Iterator[Metric]:
        load = fleet_load(live_workers(self._settings_of()))
        yield GaugeMetricFamily(
            "pichord_workers", "Workers whose heartbeat is fresh.", value=load.workers
        )
        yield GaugeMetricFamily(
            "pichord_worker_processes",
            "Pool processes of the workers whose heartbeat is fresh.",
            value=load.processes,
        )
        # Without a live worker there is no process time to share: no sample rather than 0.
        ratio = GaugeMetricFamily(
            "pichord_worker_busy_ratio",
            "Share of the live worker processes' time spent running tasks over the last "
            "pichord_worker_busy_window_seconds.",
        )
        window = GaugeMetricFamily(
            "pichord_worker_busy_window_seconds",
            "Seconds pichord_worker_busy_ratio covers.",
        )
        if load.busy_share is not None and load.window_seconds is not None:
            ratio.add_metric([], load.busy_share)
            window.add_metric([], load.window_seconds)
        yield ratio
        yield window


class QueueCollector(Collector):
    """Messages waiting in the task queue, as the broker last told it.

    The broker is asked off the scrape's thread (``QueueDepthProbe``); a scrape waits at most
    ``QUEUE_WAIT`` for a fresh answer, then reports the last one. No depth is reported while
    the broker's last answer failed or is older than ``QUEUE_STALE``, and
    ``pichord_queue_probe_success`` says so.
    """

    def __init__(
        self, celery_of: Callable[[], PichordCelery], settings_of: Callable[[], Settings]
    ) -> None:
        self._celery_of = celery_of
        self._settings_of = settings_of
        self._probe = QueueDepthProbe(QUEUE_MAX_AGE)

    def _depth(self) -> Depth:
        celery = self._celery_of()
        wanted = time.time() - QUEUE_MAX_AGE
        deadline = time.monotonic() + QUEUE_WAIT
        depth = self._probe.get(celery)
        while (depth.observed_at or 0.0) < wanted and time.monotonic() < deadline:
            time.sleep(0.005)
            depth = self._probe.get(celery)
        return depth

    def collect(self) -> Iterator[Metric]:
        queue = self._settings_of().queue
        depth = self._depth()
        fresh = depth.observed_at is not None and time.time() - depth.observed_at < QUEUE_STALE
        known = depth.messages if fresh else None
        messages = GaugeMetricFamily(
            "pichord_queue_messages",
            "Messages ready in the task queue, as the broker last told it (none while it "
            "cannot tell).",
            labels=["queue"],
        )
        if known is not None:
            messages.add_metric([queue], known)
        yield messages
        success = GaugeMetricFamily(
            "pichord_queue_probe_success",
            "1 when the broker told the queue depth lately, else 0.",
            labels=["queue"],
        )
        success.add_metric([queue], 0.0 if known is None else 1.0)
        yield success
        observed = GaugeMetricFamily(
            "pichord_queue_observed_timestamp_seconds",
            "When the broker last answered about the queue depth, POSIX.",
            labels=["queue"],
        )
        if depth.observed_at is not None:
            observed.add_metric([queue], depth.observed_at)
        yield observed


class ServiceMetrics:
    """One app's registry: the HTTP series, counted by RequestMetricsMiddleware from the first
    request, and the collectors of the host, the jobs, the fleet and the queue, which read
    the store and the broker at scrape time once the app has them (``collect_from``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(HostCollector())
        self.requests = Counter(
            "pichord_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pichord_http_request_duration_seconds",
            "HTTP request latency.",
            ["method", "route"],
            registry=self.registry,
        )
        self._collecting = False

    def collect_from(
        self, settings: Settings, store: JobStore, cache: ChunkCache, celery: PichordCelery
    ) -> None:
        """Register the collectors that read the service (once: an app's lifespan may run
        again in tests, and a collector registered twice is an error)."""
        if self._collecting:
            return
        self._collecting = True
        self.registry.register(JobCollector(lambda: store, lambda: cache))
        self.registry.register(FleetCollector(lambda: settings))
        self.registry.register(QueueCollector(lambda: celery, lambda: settings))

    def exposition(self) -> bytes:
        """Everything in Prometheus's text format."""
        return generate_latest(self.registry)
