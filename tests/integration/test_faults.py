"""Kill workers mid-job and show the job still ends with the right digits."""

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from pipeline.verify import reference_digits
from storage import JobRecord, JobStore
from tests.integration.conftest import (
    Processes,
    poll_until_finished,
    rabbitmq_service_env,
    service_env,
)
from tests.integration.pool_pause import paused_mid_chunk, pool_paused, pool_process_opening

# n=10: 1e11 terms in 25 chunks; a chunk is caught running by pausing its pool process, so
# how fast the kernel runs here does not matter.
DIGITS = 10


def kill_worker_mid_job_and_replace(
    processes: Processes, state_dir: Path, client: httpx2.Client
) -> str:
    """Start a job on worker w1, kill -9 its main process mid-chunk, start w2; the job id."""
    first = processes.worker("w1", concurrency=2)
    job_id: str = client.get(f"/leibnic/{DIGITS}").json()["id"]
    with paused_mid_chunk(JobStore(state_dir), job_id, first.pid):
        # The paused pool processes die with their worker (parent-death signal).
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    processes.worker("w2", concurrency=2)
    return job_id


def assert_right_digits(client: httpx2.Client, job_id: str) -> list[dict[str, object]]:
    seen = poll_until_finished(client, job_id, timeout=240)
    final = seen[-1]
    assert final["status"] == "SUCCESS", final
    assert final["result"] == reference_digits(DIGITS) and final["verified"] is True
    percents = [s["progress"]["percent"] for s in seen]  # type: ignore[index]
    assert percents == sorted(percents)
    return seen


@pytest.fixture
def rabbit(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> Iterator[tuple[Processes, Path, httpx2.Client]]:
    state = tmp_path / "state"
    processes.env = service_env(state, rabbitmq_url, queue=f"q-{tmp_path.name}")
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        yield processes, state, client


def test_killed_pool_child_chunk_is_requeued(rabbit: tuple[Processes, Path, httpx2.Client]) -> None:
    processes, state, client = rabbit
    worker = processes.worker("w1", concurrency=2)
    job_id = client.get(f"/leibnic/{DIGITS}").json()["id"]
    with paused_mid_chunk(JobStore(state), job_id, worker.pid) as chunk:
        assert chunk.pid is not None
        os.kill(chunk.pid, signal.SIGKILL)
    assert_right_digits(client, job_id)
    rerun = client.get(f"/tasks/{job_id}/chunks").json()["chunks"][chunk.index]
    assert rerun["attempts"] >= 2


def test_killed_worker_main_is_redelivered_by_rabbitmq(
    rabbit: tuple[Processes, Path, httpx2.Client],
) -> None:
    processes, state, client = rabbit
    job_id = kill_worker_mid_job_and_replace(processes, state, client)
    assert_right_digits(client, job_id)
    workers = {c["worker"] for c in client.get(f"/tasks/{job_id}/chunks").json()["chunks"]}
    assert any(str(w).startswith("w2@") for w in workers)


def test_embedded_broker_recovers_lost_chunks_by_redispatch(
    processes: Processes, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    processes.env = service_env(state, None, job_stall_seconds="3", watchdog_seconds="0.5")
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        # The filesystem transport keeps unacknowledged messages only in the worker's memory.
        job_id = kill_worker_mid_job_and_replace(processes, state, client)
        assert_right_digits(client, job_id)
        assert JobStore(state).get(job_id).dispatches >= 2


def test_a_job_queued_behind_a_long_one_is_not_resent_or_failed(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    state, processes.env = rabbitmq_service_env(
        tmp_path,
        rabbitmq_url,
        job_stall_seconds="1",
        # Longer than the test: while the queue is busy a stalled job is deferred throughout.
        job_stall_grace_seconds="600",
        watchdog_seconds="0.3",
        max_dispatches="1",
        job_lanes="2",
    )
    worker = processes.worker("w1", concurrency=1)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        long_job = client.get(f"/leibnic/{DIGITS}").json()["id"]
        # The only pool process holds the long job's chunk, paused: the small job's messages
        # wait in the queue behind the long job's other lane, however fast the kernel is.
        with paused_mid_chunk(JobStore(state), long_job, worker.pid):
            queued = client.get("/leibnic/3").json()["id"]
            # Well past job_stall_seconds with max_dispatches=1: a stall would fail it at once.
            waiting = poll_for_seconds(client, queued, 3)
            assert {body["status"] for body in waiting} == {"WAITING"}
            assert {client.get(f"/tasks/{long_job}").json()["status"]} <= {"PROGRESS"}
        final = poll_until_finished(client, queued, timeout=120)[-1]
        assert final["status"] == "SUCCESS" and final["result"] == reference_digits(3)
        assert JobStore(state).get(queued).dispatches == 1
        assert poll_until_finished(client, long_job, timeout=240)[-1]["status"] == "SUCCESS"


def poll_for_seconds(client: httpx2.Client, job_id: str, seconds: float) -> list[dict[str, object]]:
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(client.get(f"/tasks/{job_id}").json())
        time.sleep(0.2)
    return seen


@pytest.mark.parametrize("broker", ["rabbitmq", "embedded"])
def test_a_one_chunk_job_whose_process_dies_while_reducing_in_place_still_ends(
    request: pytest.FixtureRequest, broker: str, processes: Processes, tmp_path: Path
) -> None:
    """A job of one chunk is reduced in its chunk's process, not sent to the queue as a
    reducer message: killed there, the chunk's ticket is delivered again and reduces the job
    itself, without waiting for the stall sweep."""
    url = request.getfixturevalue("rabbitmq_url") if broker == "rabbitmq" else None
    state = tmp_path / "state"
    processes.env = service_env(
        state, url, queue=f"q-{tmp_path.name}", job_stall_seconds="600", watchdog_seconds="0.3"
    )
    worker = processes.worker("w1", concurrency=1)
    store = JobStore(state)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        with pool_paused(worker.pid):
            job_id = client.get("/leibnic/1").json()["id"]
            # The reducer's write of the finished record waits for the record's lock.
            record_locked, release = threading.Event(), threading.Event()

            def hold(_: JobRecord) -> None:
                record_locked.set()
                release.wait(60)

            holder = threading.Thread(target=store.update, args=(job_id, hold))
            holder.start()
            assert record_locked.wait(10)
        try:
            reducing = pool_process_opening(worker.pid, "job.lock")
            os.kill(reducing.pid, signal.SIGKILL)
        finally:
            release.set()
            holder.join()
        final = poll_until_finished(client, job_id, timeout=60)[-1]
        assert final["status"] == "SUCCESS" and final["result"] == reference_digits(1)
        assert store.get(job_id).dispatches == 1
