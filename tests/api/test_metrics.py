"""GET /metrics in process on the embedded broker with no worker: heartbeats and chunk files
are written here, as the workers would write them."""

import re
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from api.main import create_app
from api.metrics import QUEUE_WAIT
from config import Settings
from pipeline.fleet import fleet
from pipeline.inspection import queue_depth
from storage import ChunkRecord, JobStatus, JobStore
from storage.records import utcnow
from tests.conftest import MethodEnv, fleet_member

SNAKE_CASE = re.compile(r"^[a-z_:][a-z0-9_:]*$")


@pytest.fixture
def settings(state_dir: Path, method_env: MethodEnv) -> Settings:
    # A slow kernel on paper, so an n=7 job is planned as several chunks.
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND="1e6")
    return Settings(state_dir=state_dir)


def scrape(client: TestClient) -> dict[str, list[Sample]]:
    """Every sample of the scrape, by family name."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    return {family.name: family.samples for family in families}


def value(samples: list[Sample], name: str, **labels: str) -> float | None:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) <= 1, found
    return found[0] if found else None


def submit(client: TestClient, digits: int = 7) -> str:
    job_id: str = client.post("/tasks", json={"digits": digits}).json()["id"]
    return job_id


def finish_chunk(
    store: JobStore, job_id: str, index: int, run: float, queued: float | None, at: datetime
) -> None:
    spec = store.get(job_id).chunks[index]
    store.save_chunk(
        job_id,
        ChunkRecord(
            index=index,
            start=spec.start,
            stop=spec.stop,
            terms_done=spec.terms,
            status=JobStatus.SUCCESS,
            queue_seconds=queued,
            attempt_start=at - timedelta(seconds=run),
            starttime=at - timedelta(seconds=run),
            stoptime=at,
        ),
    )


def beat(settings: Settings, name: str, processes: int, share: float, age: float = 0.0) -> None:
    fleet(settings).beat(fleet_member(name, processes, share, age=age))


def test_metrics_parse_and_count_requests(client: TestClient) -> None:
    client.get("/leibnic/2")
    client.get("/tasks")
    families = scrape(client)
    for name in (
        "pichord_cpu_seconds",
        "pichord_load1",
        "pichord_memory_total_bytes",
        "pichord_memory_available_bytes",
        "pichord_filesystem_size_bytes",
        "pichord_jobs",
        "pichord_chunks_done",
        "pichord_terms_computed",
        "pichord_job_duration_seconds",
        "pichord_chunk_compute_seconds",
        "pichord_chunk_queue_seconds",
        "pichord_job_chunks_running",
        "pichord_workers",
        "pichord_worker_processes",
        "pichord_worker_busy_ratio",
        "pichord_queue_messages",
        "pichord_queue_probe_success",
        "pichord_http_requests",
        "pichord_http_request_duration_seconds",
    ):
        assert name in families, name
    # promtool's lint (tests/integration/test_prometheus.py runs it) rejects camelCase.
    assert [name for name in families if not SNAKE_CASE.match(name)] == []
    # Prometheus sets these on every series it scrapes (an exported one would be renamed).
    labels = {key for samples in families.values() for s in samples for key in s.labels}
    assert not labels & {"job", "instance"}
    assert value(families["pichord_jobs"], "pichord_jobs", status="WAITING") == 1
    routes = {
        (s.labels["route"], s.labels["status"])
        for s in families["pichord_http_requests"]
        if s.name == "pichord_http_requests_total"
    }
    assert ("/leibnic/{digits}", "202") in routes and ("/tasks", "200") in routes


def test_fleet_processes_and_their_busy_share(client: TestClient, settings: Settings) -> None:
    families = scrape(client)
    assert value(families["pichord_workers"], "pichord_workers") == 0
    assert value(families["pichord_worker_processes"], "pichord_worker_processes") == 0
    # No process time to share: no sample, rather than a 0 that reads as idle.
    assert families["pichord_worker_busy_ratio"] == []
    beat(settings, "a", processes=2, share=0.5)
    beat(settings, "b", processes=4, share=1.0)
    beat(settings, "gone", processes=8, share=0.0, age=60)
    families = scrape(client)
    assert value(families["pichord_workers"], "pichord_workers") == 2
    assert value(families["pichord_worker_processes"], "pichord_worker_processes") == 6
    # Weighted by pool size: 1 of a's 2 processes and all 4 of b's, over the window.
    ratio = value(families["pichord_worker_busy_ratio"], "pichord_worker_busy_ratio")
    assert ratio == pytest.approx(5 / 6)
    window = families["pichord_worker_busy_window_seconds"]
    assert value(window, "pichord_worker_busy_window_seconds") == 10.0


def test_chunk_times_are_observed_once_each_by_method(client: TestClient, state_dir: Path) -> None:
    store = JobStore(state_dir)
    job_id = submit(client)
    assert len(store.get(job_id).chunks) >= 4
    now = datetime.now(UTC)
    finish_chunk(store, job_id, 0, run=0.2, queued=0.01, at=now)
    finish_chunk(store, job_id, 1, run=3.0, queued=None, at=now)
    # Finished before this API process started: its predecessor counted it.
    finish_chunk(store, job_id, 2, run=1.0, queued=1.0, at=now - timedelta(hours=1))

    def seen(family: str) -> tuple[float | None, float | None]:
        samples = scrape(client)[family]
        return (
            value(samples, f"{family}_count", method="leibniz"),
            value(samples, f"{family}_sum", method="leibniz"),
        )

    for _ in range(2):  # a second scrape observes nothing again
        assert seen("pichord_chunk_compute_seconds") == pytest.approx((2, 3.2))
        assert seen("pichord_chunk_queue_seconds") == pytest.approx((1, 0.01))
    finish_chunk(store, job_id, 3, run=0.5, queued=2.0, at=datetime.now(UTC))
    assert seen("pichord_chunk_compute_seconds") == pytest.approx((3, 3.7))
    assert seen("pichord_chunk_queue_seconds") == pytest.approx((2, 2.01))
    compute = scrape(client)["pichord_chunk_compute_seconds"]
    le_1 = value(compute, "pichord_chunk_compute_seconds_bucket", method="leibniz", le="1.0")
    assert le_1 == 2
    # The other methods' series exist from the start, at zero.
    assert value(compute, "pichord_chunk_compute_seconds_count", method="leibniz-cf") == 0


def test_chunks_finished_by_the_last_scrape_of_a_job_are_counted(
    client: TestClient, state_dir: Path
) -> None:
    """A job that finishes between two scrapes (a small one takes less than a scrape
    interval): its chunks are still observed, once, and its figures kept."""
    store = JobStore(state_dir)
    job_id = submit(client)
    chunks = len(store.get(job_id).chunks)
    for index in range(chunks):
        finish_chunk(store, job_id, index, run=0.1, queued=0.0, at=datetime.now(UTC))
    store.update(
        job_id,
        lambda job: job.model_copy(update={"status": JobStatus.SUCCESS, "stoptime": utcnow()}),
    )
    for _ in range(2):
        families = scrape(client)
        compute = families["pichord_chunk_compute_seconds"]
        assert value(compute, "pichord_chunk_compute_seconds_count", method="leibniz") == chunks
        assert value(families["pichord_chunks_done"], "pichord_chunks_done") == chunks
        assert value(families["pichord_jobs"], "pichord_jobs", status="SUCCESS") == 1
        assert families["pichord_job_chunks_running"] == []


def test_chunks_running_per_job_are_those_whose_lock_is_held(
    client: TestClient, state_dir: Path
) -> None:
    store = JobStore(state_dir)
    busy, idle = submit(client), submit(client)
    for index in (0, 1):
        spec = store.get(busy).chunks[index]
        store.save_chunk(busy, ChunkRecord(index=index, start=spec.start, stop=spec.stop))
    # Chunk 1's record is left at PROGRESS by a killed worker: nobody holds its lock.
    with store.chunk_lock(busy, 0):
        running = scrape(client)["pichord_job_chunks_running"]
    assert value(running, "pichord_job_chunks_running", job_id=busy, method="leibniz") == 1
    assert value(running, "pichord_job_chunks_running", job_id=idle, method="leibniz") == 0
    running = scrape(client)["pichord_job_chunks_running"]
    assert value(running, "pichord_job_chunks_running", job_id=busy) == 0


def test_queue_depth_is_the_brokers(client: TestClient) -> None:
    submit(client)
    families = scrape(client)
    depth = queue_depth(client.app.state.celery)  # type: ignore[attr-defined]
    assert depth > 0  # the job's lane tickets, with no worker to take them
    messages = families["pichord_queue_messages"]
    assert value(messages, "pichord_queue_messages", queue="pichord") == depth
    success = families["pichord_queue_probe_success"]
    assert value(success, "pichord_queue_probe_success", queue="pichord") == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_broker_that_is_down_costs_a_scrape_little_and_reports_no_depth(
    state_dir: Path,
) -> None:
    broker = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    with TestClient(create_app(Settings(state_dir=state_dir, broker_url=broker))) as client:
        for _ in range(2):
            started = time.monotonic()
            families = scrape(client)
            # The broker takes seconds to refuse; the scrape waits for it QUEUE_WAIT at most.
            assert time.monotonic() - started < QUEUE_WAIT + 2.0
            assert families["pichord_queue_messages"] == []
            success = families["pichord_queue_probe_success"]
            assert value(success, "pichord_queue_probe_success") == 0
