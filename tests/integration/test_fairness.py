"""Jobs share the workers: a small job is not stuck behind a big one, two big jobs progress
together, and a cancelled job frees the workers at once; on RabbitMQ and the embedded broker.

The timeouts are generous (the speed goals are in bench/fairness.py); each would be missed by
minutes if every chunk of the big job were queued ahead of the later jobs.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from pipeline.verify import reference_digits
from tests.integration.conftest import (
    Processes,
    poll_until_finished,
    service_env,
    wait_for,
)
from tests.integration.kernel_speed import chunk_settings

# 4.8e12 terms: minutes of work on two processes, in 1,210 chunks of the default size.
BIG = 11
# The default chunk size (PICHORD_CHUNK_SECONDS x PICHORD_KERNEL_TERMS_PER_SECOND), in terms:
# faster or slower fakes of the kernel make these chunks shorter or longer.
CHUNK_TERMS = 0.25 * 1.6e10
PROCESSES = 2


@pytest.fixture(params=["rabbitmq", "embedded"])
def client(
    request: pytest.FixtureRequest, processes: Processes, tmp_path: Path
) -> Iterator[httpx2.Client]:
    broker = request.getfixturevalue("rabbitmq_url") if request.param == "rabbitmq" else None
    processes.env = service_env(
        tmp_path / "state",
        broker,
        queue=f"q-{tmp_path.name}",
        worker_concurrency=str(PROCESSES),
        submit_rate_limit="",
        **chunk_settings(CHUNK_TERMS, seconds=0.25),
    )
    processes.worker("w1", concurrency=PROCESSES)
    with httpx2.Client(base_url=processes.api(), timeout=10) as http:
        yield http


def submit(client: httpx2.Client, digits: int, method: str = "leibniz") -> str:
    response = client.post("/tasks", json={"method": method, "digits": digits})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def occupy_every_process(client: httpx2.Client, job_id: str) -> None:
    def running() -> bool:
        chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
        return sum(c["status"] == "PROGRESS" for c in chunks) >= PROCESSES

    wait_for(running, 60, f"job {job_id} to run on every process")


def terms_done(client: httpx2.Client, job_id: str) -> int:
    return int(client.get(f"/tasks/{job_id}").json()["progress"]["terms_done"])


def queued(client: httpx2.Client) -> int:
    depth = client.get("/workers").json()["queue_depth"]
    assert depth is not None
    return int(depth)


def test_small_jobs_pass_a_big_one(client: httpx2.Client) -> None:
    big = submit(client, BIG)
    occupy_every_process(client, big)
    for method, digits in (("leibniz", 3), ("leibniz", 9), ("leibniz-euler", 5000)):
        final = poll_until_finished(client, submit(client, digits, method), timeout=30)[-1]
        assert final["status"] == "SUCCESS", final
        assert final["result"] == reference_digits(digits)
    progress = client.get(f"/tasks/{big}").json()["progress"]
    # Unfinished, and cut so fine that queueing all its chunks at once would have held the
    # small jobs for minutes: 1,210 chunks, about 300 with chunks four times as long.
    assert progress["chunks_done"] < progress["chunks_total"] > 250
    # The big job keeps a window of about one message per process in the broker.
    assert queued(client) <= 2 * PROCESSES


def test_two_big_jobs_progress_together(client: httpx2.Client) -> None:
    first = submit(client, BIG)
    occupy_every_process(client, first)
    second = submit(client, BIG)
    wait_for(lambda: terms_done(client, second) > 0, 30, "the second job to start")
    before = terms_done(client, first), terms_done(client, second)
    time.sleep(10)
    after = terms_done(client, first), terms_done(client, second)
    gained = [b - a for a, b in zip(before, after, strict=True)]
    share = gained[1] / sum(gained)
    assert 0.25 < share < 0.75, f"second job got {share:.0%} of {sum(gained)} terms"
    assert queued(client) <= 2 * PROCESSES


def started_chunks(client: httpx2.Client, job_id: str) -> dict[int, str]:
    chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    return {c["index"]: c["status"] for c in chunks if c["status"] != "WAITING"}


def test_cancel_frees_the_workers(client: httpx2.Client) -> None:
    big = submit(client, BIG)
    occupy_every_process(client, big)
    before = started_chunks(client, big)
    assert client.delete(f"/tasks/{big}").json()["status"] == "REVOKED"
    final = poll_until_finished(client, submit(client, 3), timeout=10)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == "3.141"
    wait_for(
        lambda: "PROGRESS" not in started_chunks(client, big).values(),
        10,
        "the cancelled job's chunks to stop",
    )
    # No lane went on after the cancel (one racing it at most per process), and no
    # cancelled message is left for the workers to drain.
    assert len(started_chunks(client, big).keys() - before.keys()) <= PROCESSES
    wait_for(lambda: queued(client) == 0, 10, "the queue to drain")
