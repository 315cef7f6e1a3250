"""Load on loopback: 200 concurrent pollers on running jobs plus a steady stream of
submissions for 60 s, then every job must finish with the right digits.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/load.py [seconds]

Prints requests, errors, p50/p99 latency of GET /tasks/{id}, and the jobs' outcome.
"""

import asyncio
import random
import statistics
import sys
import time

import httpx2
from service import broker_name, running_service, wait_finished

from pipeline.verify import reference_digits

POLLERS = 200
SUBMIT_EVERY = 0.25  # seconds
# Plain jobs of a few digits and leibniz-euler jobs of hundreds: a mix of short and longer.
WORK = [("leibniz", 3), ("leibniz", 5), ("leibniz", 7), ("leibniz-euler", 500)]


async def submitter(client: httpx2.AsyncClient, seconds: float, jobs: dict[str, int]) -> int:
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        method, digits = random.choice(WORK)
        response = await client.post("/tasks", json={"method": method, "digits": digits})
        if response.status_code == 202:
            jobs[response.json()["id"]] = digits
        else:
            errors += 1
        await asyncio.sleep(SUBMIT_EVERY)
    return errors


async def poller(
    client: httpx2.AsyncClient, seconds: float, jobs: dict[str, int], latencies: list[float]
) -> int:
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not jobs:
            await asyncio.sleep(0.05)
            continue
        job_id = random.choice(list(jobs)[-20:])  # the newest: mostly still running
        start = time.perf_counter()
        try:
            response = await client.get(f"/tasks/{job_id}")
        except httpx2.TransportError:
            errors += 1
            continue
        latencies.append(time.perf_counter() - start)
        errors += response.status_code != 200
        await asyncio.sleep(0.05)
    return errors


async def load(base_url: str, seconds: float) -> tuple[dict[str, int], list[float], int]:
    jobs: dict[str, int] = {}
    latencies: list[float] = []
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so a request never
    # races the server closing its connection.
    limits = httpx2.Limits(max_connections=POLLERS + 10, keepalive_expiry=2.0)
    async with httpx2.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        results = await asyncio.gather(
            submitter(client, seconds, jobs),
            *(poller(client, seconds, jobs, latencies) for _ in range(POLLERS)),
        )
    return jobs, latencies, sum(results)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    settings = {"submit_rate_limit": "", "max_pending_jobs": "10000"}
    with running_service(2, **settings) as (client, _):
        base_url = str(client.base_url).rstrip("/")
        jobs, latencies, errors = asyncio.run(load(base_url, seconds))
        wrong = 0
        for job_id, digits in jobs.items():
            body = wait_finished(client, job_id, poll=0.05)
            wrong += body["status"] != "SUCCESS" or body["result"] != reference_digits(digits)
    ms = sorted(1000 * s for s in latencies)
    p99 = ms[int(0.99 * (len(ms) - 1))]
    print(f"broker: {broker_name()}, 1 worker x 2, {POLLERS} pollers, {seconds:.0f} s")
    print(f"GET /tasks/{{id}}: {len(ms)} requests, {errors} errors (non-200 or refused)")
    print(f"latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
    print(f"jobs submitted {len(jobs)}, finished with wrong or no digits: {wrong}")


if __name__ == "__main__":
    main()
