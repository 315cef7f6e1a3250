"""The state dir fills up while chunks checkpoint: they retry, nothing lies, the job ends well.

The state dir lives on a small tmpfs of its own (mounting needs root, as on the CI machine);
filling it makes every write fail with ENOSPC, the real error.
"""

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import psutil
import pytest

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for
from tests.integration.kernel_speed import chunk_settings
from tests.integration.pool_pause import paused_mid_chunk
from tests.small_disk import fill, fill_inodes, mounted_tmpfs


def met_full_disk(log: Path, job_id: str) -> bool:
    """Whether the worker logged a full disk for one of the job's tasks."""
    return any(
        job_id in line and ("state dir full" in line or "not recording" in line)
        for line in log.read_text().splitlines()
    )


# The first dispatch's reducer, which a job of one chunk runs in place; one sent again by the
# stall sweep (.d2.reduce ...) comes as a message of its own.
REDUCER_MET = re.compile(r"state dir full while \S+\.d1\.reduce")


@contextmanager
def stopped(processes: list[psutil.Process]) -> Iterator[None]:
    for process in processes:
        process.suspend()
    try:
        yield
    finally:
        for process in processes:
            process.resume()


def sweep_env(
    disk: Path, rabbitmq_url: str | None, tmp_path: Path, min_free_inodes: int = 0, **extra: str
) -> dict[str, str]:
    """A service on ``disk`` (RabbitMQ's, or the embedded broker on the disk too when
    ``rabbitmq_url`` is None) with no room kept (so that writes meet the full disk itself),
    quick disk-full retries and a quick stall sweep: a task whose return met the full disk
    is not counted by its chord, and its job is sent again by the sweep."""
    return service_env(
        disk / "state",
        rabbitmq_url,
        queue=f"q-{tmp_path.name}",
        min_free_mb="0",
        min_free_inodes=str(min_free_inodes),
        disk_full_retry_seconds="0.5",
        job_stall_seconds="3",
        job_stall_grace_seconds="1",
        watchdog_seconds="0.5",
        # The tests fill the disk again and again: a job may be sent again after each
        # time, however fast the CPU, and must not meet the dispatch deadline meanwhile.
        max_dispatches="100",
        **extra,
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "size=16m,nr_inodes=2000") as disk:
        yield disk


@pytest.fixture
def disk_for_many_jobs(tmp_path: Path) -> Iterator[Path]:
    # Up to three sweeps of 24 jobs, each keeping some 20 inodes, above a reserve of 64.
    with mounted_tmpfs(tmp_path / "disk", "size=32m,nr_inodes=5000") as disk:
        yield disk


def test_chunks_retry_while_the_disk_is_full_and_the_job_ends_right(
    small_disk: Path, processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    state = small_disk / "state"
    processes.env = service_env(
        state,
        rabbitmq_url,
        queue=f"q-{tmp_path.name}",
        disk_full_retry_seconds="0.5",
        # The job is accepted on this small disk, then meets it full mid-chunk.
        min_free_mb="0",
        min_free_inodes="0",
        **chunk_settings(1e10, seconds=0.5),
    )
    worker = processes.worker("w1", concurrency=2)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get("/leibnic/10").json()["id"]
        # The disk fills while the job is held mid-chunk, so it fills mid-job whatever the
        # kernel's speed; the held chunks meet it once they go on.
        with paused_mid_chunk(JobStore(state), job_id, worker.pid):
            filler = fill(small_disk)
            when_full = client.get(f"/tasks/{job_id}").json()
        log = tmp_path / "logs" / "worker-w1.log"
        wait_for(
            lambda: b"No space left on device" in log.read_bytes(),
            30,
            "a chunk to meet the full disk",
        )
        during = client.get(f"/tasks/{job_id}").json()
        assert during["status"] == "PROGRESS"
        # Nothing can be saved while the disk is full, so the progress shown stands still.
        assert during["progress"] == when_full["progress"]
        filler.unlink()
        final = poll_until_finished(client, job_id, timeout=180)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == reference_digits(10)
    assert "Retry in" in (tmp_path / "logs" / "worker-w1.log").read_text()


def test_submissions_below_the_reserve_are_refused_and_running_jobs_keep_the_room(
    small_disk: Path, processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    processes.env = service_env(
        small_disk / "state",
        rabbitmq_url,
        queue=f"q-{tmp_path.name}",
        min_free_mb="8",
        min_free_inodes="100",
    )
    processes.worker("w1", concurrency=2)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        first = client.post("/tasks", json={"digits": 3})
        assert first.status_code == 202
        filler = fill(small_disk, leave=4 * 1024 * 1024)
        refused = client.post("/tasks", json={"digits": 3})
        assert refused.status_code == 507, refused.text
        assert "below the 8 MiB" in refused.json()["detail"]
        assert "no job was stored" in refused.json()["detail"]
        assert refused.headers["Retry-After"] == "30"
        ready = client.get("/ready").json()
        assert "below the reserve of 8 MiB" in ready["checks"]["state_dir"]["detail"]
        # The job accepted before goes on in the room the reserve kept.
        final = poll_until_finished(client, first.json()["id"], timeout=60)[-1]
        assert final["status"] == "SUCCESS"
        assert client.get("/tasks").json()["total"] == 1
        filler.unlink()
        again = client.post("/tasks", json={"digits": 3})
        assert again.status_code == 202
        final = poll_until_finished(client, again.json()["id"], timeout=60)[-1]
        assert final["status"] == "SUCCESS" and final["result"] == reference_digits(3)


@pytest.mark.parametrize("broker", ["rabbitmq", "embedded"])
def test_a_submission_meeting_a_full_disk_at_any_step_is_taken_whole_or_not_at_all(
    small_disk: Path, processes: Processes, rabbitmq_url: str, tmp_path: Path, broker: str
) -> None:
    """The disk is left with 0, 1, 2 ... free inodes and a submission sent each time, so that
    it runs out at each step in turn (the record, admission, the listing, the chord's join
    file, on the embedded broker each ticket's message): each answer is a 202 for a job that
    then ends, or a 507 that left nothing."""
    url = rabbitmq_url if broker == "rabbitmq" else None
    # Jobs of several chunks, so of two lane tickets: a dispatch may stop between the two.
    processes.env = sweep_env(small_disk, url, tmp_path, **chunk_settings(600))
    processes.worker("w1", concurrency=2)
    accepted: list[str] = []
    refusals: list[httpx2.Response] = []
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        for leave in range(16):
            fillers = fill_inodes(small_disk, leave)
            answer = client.post("/tasks", json={"digits": 3})
            assert answer.status_code in (202, 507), answer.text
            if answer.status_code == 202:
                accepted.append(answer.json()["id"])
            else:
                refusals.append(answer)
            for filler in fillers:
                filler.unlink()
            listed = client.get("/tasks", params={"limit": 100}).json()
            assert sorted(task["id"] for task in listed["tasks"]) == sorted(accepted)
        assert len(refusals) >= 3 and accepted
        assert all("storage is full" in r.json()["detail"] for r in refusals)
        # Nor does a refused job leave its chord's folder behind.
        chords = small_disk / "state" / "results" / "chords"
        assert {name[:36] for name in os.listdir(chords)} <= set(accepted)
        for job_id in accepted:
            final = poll_until_finished(client, job_id, timeout=120)[-1]
            assert final["status"] == "SUCCESS" and final["result"] == reference_digits(3)


@pytest.mark.parametrize("broker", ["rabbitmq", "embedded"])
def test_a_job_meeting_a_full_disk_at_any_step_of_the_worker_ends_right(
    disk_for_many_jobs: Path,
    processes: Processes,
    rabbitmq_url: str,
    tmp_path: Path,
    broker: str,
) -> None:
    """Each job is submitted while the worker is stopped, then the worker goes on with 0, 1,
    2 ... inodes free, so that the job runs out at each of the worker's steps in turn (the
    claim book, the ticket, the chunk, the chord's join, the reducer run in place): each
    step retries or is recovered, and every job ends SUCCESS once there is room again."""
    # The jobs are submitted with room; the disk is filled below the reserve only while the
    # worker runs, and the stall sweep waits for room rather than spend dispatches on it.
    url = rabbitmq_url if broker == "rabbitmq" else None
    # Up to 72 jobs within a minute or so: past the default submission rate of 60 a minute.
    processes.env = sweep_env(
        disk_for_many_jobs, url, tmp_path, min_free_inodes=64, submit_rate_limit=""
    )
    worker = processes.worker("w1", concurrency=1)
    whole_worker = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children()]
    log = tmp_path / "logs" / "worker-w1.log"
    jobs: list[str] = []
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        # Which step a given number of free inodes stops at shifts with the timing of the
        # retries, so the sweep goes round again (at most three times) until it has stopped
        # a reducer too.
        for _ in range(3):
            for leave in range(24):
                with stopped(whole_worker):
                    answer = client.post("/tasks", json={"digits": 3})
                    assert answer.status_code == 202, answer.text
                    jobs.append(answer.json()["id"])
                    fillers = fill_inodes(disk_for_many_jobs, leave)
                # On the embedded broker, whose messages live on the same disk, a job may
                # not even be delivered until there is room again.
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and not (
                    met_full_disk(log, jobs[-1])
                    or client.get(f"/tasks/{jobs[-1]}").json()["status"] == "SUCCESS"
                ):
                    time.sleep(0.05)
                for filler in fillers:
                    filler.unlink()
            if REDUCER_MET.search(log.read_text()):
                break
        for job_id in jobs:
            final = poll_until_finished(client, job_id, timeout=120)[-1]
            assert final["status"] == "SUCCESS" and final["result"] == reference_digits(3)
    met = log.read_text()
    # The sweep reached the steps that only a retry or the stall sweep can save.
    assert "state dir full while" in met and ".d1.l0" in met
    assert REDUCER_MET.search(met), "no reducer met the full disk"
