"""The API's /metrics as Prometheus and promtool take it: a real Prometheus scrapes an API and
a two-process worker on RabbitMQ every second and reads the queue depth, the workers' busy
share and the chunks in flight through its query API while a job runs; promtool checks a
real scrape."""

import subprocess
import time
from pathlib import Path

import httpx2

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.fleet_beat import BUSY_WINDOW
from pipeline.inspection import queue_depth
from storage import JobStatus, JobStore
from tests.integration.conftest import (
    Processes,
    poll_until_finished,
    rabbitmq_service_env,
    wait_for,
)
from tests.integration.kernel_speed import chunk_settings
from tests.integration.pool_pause import paused_when, pool_processes
from tests.integration.prometheus import prometheus_scraping, prometheus_tool


def broker_depth(state: Path, env: dict[str, str]) -> int:
    """Messages ready in the test's queue, asked of RabbitMQ directly."""
    settings = Settings(
        state_dir=state, broker_url=env["PICHORD_BROKER_URL"], queue=env["PICHORD_QUEUE"]
    )
    app = create_celery_app(settings)
    try:
        return queue_depth(app)
    finally:
        app.close()


def computing(store: JobStore, job_id: str, worker_pid: int) -> set[int]:
    """The worker's pool processes computing a chunk of the job now."""
    pool = {process.pid for process in pool_processes(worker_pid)}
    return {
        record.pid
        for record in store.chunks(job_id).values()
        if record.pid in pool
        and record.status is JobStatus.PROGRESS
        and store.chunk_running(job_id, record.index)
    }


def test_prometheus_reads_the_queue_and_the_busy_share_while_a_job_runs(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    binary = prometheus_tool("prometheus")
    state, processes.env = rabbitmq_service_env(
        tmp_path, rabbitmq_url, worker_concurrency="2", **chunk_settings(1e9, seconds=0.25)
    )
    queue = processes.env["PICHORD_QUEUE"]
    worker = processes.worker("w", concurrency=2)
    api = processes.api()
    store = JobStore(state)
    with (
        prometheus_scraping(binary, api, tmp_path / "prometheus") as prometheus,
        httpx2.Client(base_url=api, timeout=10) as client,
    ):
        prometheus.wait_for_value('up{job="pichord"}', 1, timeout=30)
        # 2,048 chunks: it runs for minutes unless cancelled.
        big = client.post("/tasks", json={"digits": 11}).json()["id"]
        both = paused_when(
            worker.pid,
            lambda: len(computing(store, big, worker.pid)) == 2,
            "both pool processes to compute a chunk of the big job",
        )
        # Held with both processes mid-chunk: the small job's lane tickets wait in the queue,
        # the depth stays as it is and the processes count as busy all along.
        with both:
            small = client.post("/tasks", json={"digits": 9}).json()["id"]
            submitted = time.monotonic()
            depth = broker_depth(state, processes.env)
            assert depth >= 2, "the small job's lane tickets are queued"
            prometheus.wait_for_value(f'pichord_queue_messages{{queue="{queue}"}}', depth, 30)
            prometheus.wait_for_value(f'pichord_queue_probe_success{{queue="{queue}"}}', 1, 30)
            prometheus.wait_for_value(f'pichord_job_chunks_running{{job_id="{big}"}}', 2, 30)
            prometheus.wait_for_value(f'pichord_job_chunks_running{{job_id="{small}"}}', 0, 30)
            prometheus.wait_for_value("pichord_worker_processes", 2, 30)
            # Busy all along from now on: the share over the window reaches all of it.
            prometheus.wait_for_value("pichord_worker_busy_ratio", 1, BUSY_WINDOW + 30)
            body = client.get("/running").json()
            assert body["busy_share"] == 1 and body["processes_online"] == 2
            # Cancelled before it goes on, so the small job has the processes to itself.
            assert client.delete(f"/tasks/{big}").json()["status"] == "REVOKED"
            held = time.monotonic() - submitted
        assert poll_until_finished(client, small, timeout=180)[-1]["status"] == "SUCCESS"

        # Each of the small job's chunks is observed (the big job's count too), and its first
        # tickets waited out the hold.
        finished = sum(record.finished for record in store.chunks(small).values())
        assert finished > 0

        def observed() -> bool:
            runs = prometheus.value('pichord_chunk_compute_seconds_count{method="leibniz"}')
            waits = prometheus.value('pichord_chunk_queue_seconds_sum{method="leibniz"}')
            return (runs or 0) >= finished and (waits or 0) >= held

        wait_for(observed, 30, "the small job's chunk times in Prometheus", interval=0.2)


def test_promtool_accepts_a_real_scrape(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    promtool = prometheus_tool("promtool")
    _, processes.env = rabbitmq_service_env(tmp_path, rabbitmq_url, worker_concurrency="1")
    processes.worker("w", concurrency=1)
    api = processes.api()
    with httpx2.Client(base_url=api, timeout=10) as client:
        job_id = client.post("/tasks", json={"digits": 5}).json()["id"]
        assert poll_until_finished(client, job_id, timeout=120)[-1]["status"] == "SUCCESS"
        # Every family has samples: the job's chunk times, the worker, the queue.
        scrape = client.get("/metrics").text
    assert 'pichord_chunk_compute_seconds_count{method="leibniz"} 0.0' not in scrape
    assert "pichord_worker_busy_ratio " in scrape and "pichord_queue_messages{" in scrape
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=scrape,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
