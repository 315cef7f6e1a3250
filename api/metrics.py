"""Prometheus metrics: host gauges after node_exporter's names (under ``pichord_``), jobs
from the store, and HTTP request counts and latency.

Each app gets its own registry, so several apps (tests, workers in one process) never share
or clash over global collectors.
"""

import os
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterator

import psutil
from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
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

from api import errors
from api.auth import HostReaderDep
from api.host import readings
from api.progress import job_status
from storage import CorruptRecordError, JobStatus, JobStore
from storage.records import ChunkKind

# Job durations in seconds: from small jobs (tens of ms) to n=11 (minutes).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


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
        yield GaugeMetricFamily(
            "pichord_memory_MemTotal_bytes", "Memory in total.", value=memory.total
        )
        yield GaugeMetricFamily(
            "pichord_memory_MemAvailable_bytes", "Memory available.", value=memory.available
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


class JobCollector(Collector):
    """Read from the job store at scrape time: the store, not this process, is the truth."""

    def __init__(self, store_of: Callable[[], JobStore]) -> None:
        # The store is made in the app's lifespan, after the collector is registered.
        self._store_of = store_of

    def collect(self) -> Iterator[Metric]:
        store = self._store_of()
        by_status: Tally[str] = Tally()
        chunks_done = 0
        terms_done = 0
        durations: list[float] = []
        for job_id, job in store.records():
            if isinstance(job, CorruptRecordError):
                by_status[JobStatus.FAILURE] += 1  # shown as a failed task by the API too
                continue
            chunks = store.chunks(job_id)
            by_status[job_status(job, chunks)] += 1
            chunks_done += sum(1 for c in chunks.values() if c.finished)
            series = {s.index for s in job.chunks if s.kind is ChunkKind.SERIES}
            terms_done += sum(c.terms_done for c in chunks.values() if c.index in series)
            if job.status is JobStatus.SUCCESS and job.stoptime is not None:
                durations.append((job.stoptime - job.pushqtime).total_seconds())
        jobs = GaugeMetricFamily("pichord_jobs", "Stored jobs by status.", labels=["status"])
        for status in JobStatus:
            jobs.add_metric([status.value], by_status[status])
        yield jobs
        yield GaugeMetricFamily(
            "pichord_chunks_done", "Finished chunks of stored jobs.", value=chunks_done
        )
        yield GaugeMetricFamily(
            "pichord_terms_computed", "Series terms summed for stored jobs.", value=terms_done
        )
        buckets = [(str(b), sum(1 for d in durations if d <= b)) for b in DURATION_BUCKETS]
        buckets.append(("+Inf", len(durations)))
        histogram = HistogramMetricFamily(
            "pichord_job_duration_seconds",
            "Submit to SUCCESS, stored jobs.",
            buckets=buckets,
            sum_value=sum(durations),
        )
        yield histogram


def install_metrics(app: FastAPI, store_of: Callable[[], JobStore]) -> None:
    """Add ``GET /metrics`` and the HTTP middleware to ``app``."""
    registry = CollectorRegistry()
    registry.register(HostCollector())
    registry.register(JobCollector(store_of))
    requests = Counter(
        "pichord_http_requests",
        "HTTP requests answered.",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "pichord_http_request_duration_seconds",
        "HTTP request latency.",
        ["method", "route"],
        registry=registry,
    )

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        # The route template, not the path: one series per endpoint, not per task id.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(request.method, route).observe(time.perf_counter() - start)
        return response

    @app.get(
        "/metrics",
        include_in_schema=True,
        tags=["health"],
        response_class=Response,
        dependencies=[HostReaderDep],
        responses=errors.READ,
    )
    def metrics() -> Response:
        """Prometheus text format."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
