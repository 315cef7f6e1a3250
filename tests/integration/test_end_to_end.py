"""End to end on both brokers: HTTP in, celery worker subprocesses, digits out."""

from collections.abc import Iterator
from pathlib import Path

import httpx2
import psutil
import pytest

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for
from tests.integration.pool_pause import paused_mid_chunk


@pytest.fixture(params=["rabbitmq", "embedded"])
def broker(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("rabbitmq_url") if request.param == "rabbitmq" else None


def start(processes: Processes, broker: str | None, state: Path, chunk_seconds: str) -> str:
    processes.env = service_env(
        state,
        broker,
        queue=f"q-{state.parent.name}",
        chunk_seconds=chunk_seconds,
        worker_concurrency="2",
    )
    processes.worker("w1")
    return processes.api()


@pytest.fixture
def service(processes: Processes, broker: str | None, tmp_path: Path) -> Iterator[httpx2.Client]:
    # Small chunks (2e8 terms at the default kernel speed) so even n=9 is split in a dozen
    # and progress can be watched.
    with httpx2.Client(
        base_url=start(processes, broker, tmp_path / "state", "0.0125"), timeout=10
    ) as client:
        yield client


def test_digits_0_to_9_equal_mpmath(service: httpx2.Client) -> None:
    ids = {n: service.get(f"/leibnic/{n}").json()["id"] for n in range(10)}
    for n, job_id in ids.items():
        final = poll_until_finished(service, job_id, timeout=120)[-1]
        assert final["status"] == "SUCCESS", final
        assert final["result"] == reference_digits(n)
        assert final["verified"] is True
        assert final["progress"]["percent"] == 100.0
        assert final["certificate"]["terms"] == final["progress"]["terms_total"]
        assert final["starttime"] <= final["stoptime"]


def test_progress_is_monotone_and_intermediate_is_a_partial_sum(service: httpx2.Client) -> None:
    job_id = service.post("/tasks", json={"digits": 9}).json()["id"]
    seen = poll_until_finished(service, job_id, timeout=120)
    percents = [s["progress"]["percent"] for s in seen]  # type: ignore[index]
    assert percents == sorted(percents)
    assert seen[-1]["status"] == "SUCCESS"
    running = [s for s in seen if s["status"] == "PROGRESS"]
    chunks = service.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    assert len(chunks) > 10 and all(c["status"] == "SUCCESS" for c in chunks)
    assert {c["worker"] for c in chunks} == {chunks[0]["worker"]}
    for body in running:
        value = body["result"]["intermediate"]  # type: ignore[index]
        if value is not None:
            assert 2.6 < float(value) < 4.0


def test_cancel_stops_a_running_job(
    processes: Processes, broker: str | None, tmp_path: Path
) -> None:
    # Default-sized chunks: n=10 is 26 of them, of 4e9 terms each.
    state = tmp_path / "state"
    with httpx2.Client(base_url=start(processes, broker, state, "0.25"), timeout=10) as service:
        (worker,) = processes.workers
        cancel_and_run_another(service, JobStore(state), worker.pid)


def cancel_and_run_another(service: httpx2.Client, store: JobStore, worker_pid: int) -> None:
    job_id = service.get("/leibnic/10").json()["id"]
    # Cancelled while the worker is held mid-chunk: the job is unfinished whatever the
    # kernel's speed; the held chunks stop at their next checkpoint once they go on.
    with paused_mid_chunk(store, job_id, worker_pid):
        cancelled = service.delete(f"/tasks/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "REVOKED"

    def chunks_stopped() -> bool:
        chunks = service.get(f"/tasks/{job_id}/chunks").json()["chunks"]
        return not any(c["status"] == "PROGRESS" for c in chunks)

    wait_for(chunks_stopped, 10, "running chunks to stop")
    # Queued chunks are dropped when they come up: the worker is free for the next job.
    quick = service.get("/leibnic/3").json()["id"]
    assert poll_until_finished(service, quick, timeout=120)[-1]["result"] == "3.141"
    chunks = service.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    assert sum(c["status"] == "SUCCESS" for c in chunks) < len(chunks)
    assert service.delete(f"/tasks/{job_id}").status_code == 200


def test_pool_processes_yield_the_cpu_and_the_consumer_does_not(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    processes.env = service_env(state, rabbitmq_url, queue=f"q-{tmp_path.name}", worker_nice="7")
    worker = processes.worker("w1")
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.post("/tasks", json={"digits": 2}).json()["id"]
        assert poll_until_finished(client, job_id, timeout=60)[-1]["status"] == "SUCCESS"
    pids = {record.pid for record in JobStore(state).chunks(job_id).values()}
    assert pids and None not in pids
    # Relative to the worker's main process: the tests themselves may run under nice.
    consumer = psutil.Process(worker.pid).nice()
    assert {psutil.Process(pid).nice() for pid in pids if pid is not None} == {
        min(consumer + 7, 19)
    }
    assert consumer == psutil.Process().nice()
