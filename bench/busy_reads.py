"""Reads while a big job computes: GET /tasks/{id} of a running n=11 job (both pool
processes busy), with the pool processes at their default lower CPU priority and at
PICHORD_WORKER_NICE=0, in the same run.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/busy_reads.py
"""

import argparse
import statistics
import time

from service import running_service
from throughput import percentile

from config import Settings

# Seconds the n=11 job runs before the reads start, so that every pool process computes.
SETTLE_SECONDS = 4.0


def read_latencies(nice: int, reads: int) -> list[float]:
    with running_service(2, submit_rate_limit="", worker_nice=str(nice)) as (client, _):
        # A first job measures the kernel's speed, from which the big job's chunks are cut.
        client.get("/leibnic/10")
        time.sleep(3)
        job_id = client.get("/leibnic/11").json()["id"]
        time.sleep(SETTLE_SECONDS)
        latencies = []
        for _ in range(reads):
            start = time.perf_counter()
            assert client.get(f"/tasks/{job_id}").json()["status"] == "PROGRESS"
            latencies.append(time.perf_counter() - start)
            time.sleep(0.005)
        client.delete(f"/tasks/{job_id}")
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=400)
    args = parser.parse_args()
    for nice in (Settings.model_fields["worker_nice"].default, 0):
        latencies = read_latencies(nice, args.reads)
        print(
            f"pool processes at nice {nice}: GET /tasks/{{id}} of the running job p50 "
            f"{statistics.median(latencies) * 1000:.2f} ms, p99 "
            f"{percentile(latencies, 0.99) * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
