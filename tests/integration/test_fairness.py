"""Jobs share the workers: a small job is not stuck behind a big one, two big jobs progress
together, clients share them before their jobs do, and a cancelled job frees the workers at
once; on RabbitMQ and the embedded broker.

The timeouts are generous (the speed goals are in bench/fairness.py); each would be missed by
minutes if every chunk of the big job were queued ahead of the later jobs.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

from pipeline.verify import reference_digits
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout
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
def broker(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(
    request: pytest.FixtureRequest, broker: str, processes: Processes, tmp_path: Path
) -> Iterator[httpx2.Client]:
    url = request.getfixturevalue("rabbitmq_url") if broker == "rabbitmq" else None
    processes.env = service_env(
        tmp_path / "state",
        url,
        queue=f"q-{tmp_path.name}",
        worker_concurrency=str(PROCESSES),
        submit_rate_limit="",
        **chunk_settings(CHUNK_TERMS, seconds=0.25),
    )
    processes.worker("w1", concurrency=PROCESSES)
    with httpx2.Client(base_url=processes.api(), timeout=10) as http:
        yield http


def submit(
    client: httpx2.Client, digits: int, method: str = "leibniz", token: str | None = None
) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/tasks", json={"method": method, "digits": digits}, headers=headers)
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


def test_clients_share_the_workers_before_their_jobs_do(
    client: httpx2.Client, broker: str, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    book = ClientBook(StateLayout(tmp_path / "state").clients)
    many, one = book.add("many", Scope.SUBMIT), book.add("one", Scope.SUBMIT)
    four = [submit(client, BIG, token=many) for _ in range(4)]
    for job_id in four:
        wait_for(lambda job_id=job_id: terms_done(client, job_id) > 0, 60, f"{job_id} to start")
    alone = submit(client, BIG, token=one)
    wait_for(lambda: terms_done(client, alone) > 0, 30, "the other client's job to start")
    # Processes on each job, read from /running every 0.25 s for 20 s.
    seen = {"one": 0, "many": 0}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for job in client.get("/running").json()["jobs"]:
            seen["one" if job["id"] == alone else "many"] += len(job["processes"])
        time.sleep(0.25)
    share = seen["one"] / sum(seen.values())
    figure(
        f"[fairness] {broker}: client with 1 job beside one with 4: {share:.0%} of the "
        f"processes over 20 s ({sum(seen.values())} process samples of /running)"
    )
    assert share >= 0.40, seen


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
