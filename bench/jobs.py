"""Wall times of whole jobs through HTTP, a worker with 2 pool processes, and the broker.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/jobs.py
    .venv/bin/python bench/jobs.py            # embedded broker

Prints the median submit -> SUCCESS latency of small jobs (n=3) and the wall time of n=9
and n=10. Starts and stops its own worker and API on loopback.
"""

import statistics
import time

import httpx2
from service import broker_name, running_service, wait_finished


def run_job(client: httpx2.Client, digits: int) -> tuple[float, str]:
    start = time.perf_counter()
    job_id = client.get(f"/leibnic/{digits}").json()["id"]
    body = wait_finished(client, job_id)
    return time.perf_counter() - start, str(body.get("result"))


def main() -> None:
    with running_service() as (client, _):
        run_job(client, 3)  # first job: workers load the kernel
        small = [run_job(client, 3)[0] for _ in range(20)]
        print(f"broker: {broker_name()}, 1 worker x 2 processes")
        print(
            f"n=3 submit->SUCCESS: median {statistics.median(small) * 1000:.0f} ms, "
            f"max {max(small) * 1000:.0f} ms (20 jobs)"
        )
        for digits in (9, 10):
            seconds, result = run_job(client, digits)
            print(f"n={digits}: {seconds:.2f} s -> {result}")


if __name__ == "__main__":
    main()
