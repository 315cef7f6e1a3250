"""Jobs sharing the workers, on RabbitMQ and on the embedded broker, one worker x 2 processes:

    .venv/bin/python bench/fairness.py [rabbitmq|embedded ...]

- small jobs behind a big one: an n=11 job (~1,200 chunks) occupies both processes, then
  n=3 jobs (10), n=9 and leibniz-euler n=5,000 jobs (3 each) are timed submit -> SUCCESS;
- two big jobs: a second n=11 job starts, and each one's share of the terms computed is
  taken over every 20 s window (step 5 s) for 60 s; the deepest queue seen on the way;
- cancel: both big jobs are cancelled and an n=3 job timed right after, three times over;
- one n=10 job alone, lanes on (the default) and off (PICHORD_JOB_LANES=64, more tickets
  than its chunks: every chunk queued at once, as before lanes), three runs each.

RabbitMQ is PICHORD_BENCH_RABBITMQ (default amqp://guest:guest@127.0.0.1:5672//).
"""

import os
import statistics
import sys
import time
from collections.abc import Callable

import httpx2
from service import running_service, wait_finished

RABBITMQ = os.environ.get("PICHORD_BENCH_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//")
SMALL_RUNS = 10
SHARE_SECONDS = 60.0
WINDOW_SECONDS = 20.0


def submit(client: httpx2.Client, method: str, digits: int) -> str:
    response = client.post("/tasks", json={"method": method, "digits": digits})
    response.raise_for_status()
    return str(response.json()["id"])


def timed(client: httpx2.Client, method: str, digits: int) -> float:
    start = time.perf_counter()
    body = wait_finished(client, submit(client, method, digits), poll=0.005)
    assert body["status"] == "SUCCESS", body
    return time.perf_counter() - start


def terms_done(client: httpx2.Client, job_id: str) -> int:
    return int(client.get(f"/tasks/{job_id}").json()["progress"]["terms_done"])


def wait_until(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.05)


def busy(client: httpx2.Client, job_id: str) -> None:
    """Wait until the job has a chunk running on each of the two processes."""

    def running() -> bool:
        chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
        return sum(c["status"] == "PROGRESS" for c in chunks) >= 2

    wait_until(running)


def row(label: str, seconds: list[float]) -> None:
    ms = [1000 * s for s in seconds]
    print(f"  {label:<44} median {statistics.median(ms):6.0f} ms   max {max(ms):6.0f} ms")


def shares(client: httpx2.Client, first: str, second: str) -> tuple[list[float], int]:
    """The second job's share of the terms done in each window, and the deepest queue."""
    samples: list[tuple[float, int, int]] = []
    deepest = 0
    start = time.monotonic()
    while time.monotonic() - start < SHARE_SECONDS:
        samples.append((time.monotonic(), terms_done(client, first), terms_done(client, second)))
        depth = client.get("/workers").json()["queue_depth"]
        deepest = max(deepest, depth or 0)
        time.sleep(1.0)
    found = []
    for t0, a0, b0 in samples[::5]:
        later = [s for s in samples if s[0] >= t0 + WINDOW_SECONDS]
        if not later:
            break
        _, a1, b1 = later[0]
        found.append((b1 - b0) / max(1, (a1 - a0) + (b1 - b0)))
    return found, deepest


def bench(broker: str) -> None:
    url = RABBITMQ if broker == "rabbitmq" else ""
    print(f"\n{broker}, 1 worker x 2 processes, PICHORD_CHUNK_SECONDS default")
    settings = {"broker_url": url, "submit_rate_limit": "", "max_pending_jobs": "100"}
    with running_service(2, **settings) as (client, _):
        timed(client, "leibniz", 3)  # warm the pool processes
        big = submit(client, "leibniz", 11)
        busy(client, big)
        row("n=3 behind an n=11 job", [timed(client, "leibniz", 3) for _ in range(SMALL_RUNS)])
        row("n=9 behind an n=11 job", [timed(client, "leibniz", 9) for _ in range(3)])
        row(
            "leibniz-euler n=5,000 behind an n=11 job",
            [timed(client, "leibniz-euler", 5000) for _ in range(3)],
        )
        second = submit(client, "leibniz", 11)
        found, deepest = shares(client, big, second)
        print(
            f"  two n=11 jobs, second job's share per {WINDOW_SECONDS:.0f} s window: "
            + " ".join(f"{100 * s:.0f}%" for s in found)
        )
        print(f"  deepest queue while both ran: {deepest} messages")
        cancels = []
        for _ in range(3):
            for job_id in (big, second):
                client.delete(f"/tasks/{job_id}")
            cancels.append(timed(client, "leibniz", 3))
            big, second = submit(client, "leibniz", 11), submit(client, "leibniz", 11)
            busy(client, big)
        for job_id in (big, second):
            client.delete(f"/tasks/{job_id}")
        row("n=3 right after cancelling the n=11 jobs", cancels)
    # 64 tickets (the most PICHORD_JOB_LANES allows) are more than an n=10 job's chunks.
    for label, lanes in (("lanes (default)", None), ("every chunk queued at once", "64")):
        extra = {"job_lanes": lanes} if lanes else {}
        with running_service(2, broker_url=url, submit_rate_limit="", **extra) as (client, _):
            timed(client, "leibniz", 5)
            row(f"n=10 alone, {label}", [timed(client, "leibniz", 10) for _ in range(3)])


def main() -> None:
    for broker in sys.argv[1:] or ["rabbitmq", "embedded"]:
        bench(broker)


if __name__ == "__main__":
    main()
