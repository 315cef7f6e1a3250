"""GET /tasks/{id} of finished jobs, from 1 digit to 10^7: a finished job's read should cost
the same whatever its size.

    .venv/bin/python bench/reads.py                        # up to 10^6 digits
    .venv/bin/python bench/reads.py --largest 10000000     # and the 10^7-digit leibniz-cf job

One service (one worker, 2 pool processes, one API process, a fresh state dir) computes one
job of each size; then each finished job is read ``--reads`` times in turn from one client
(sequential requests, so the figure is the API's own cost plus loopback), and the median and
99th percentile are printed with the size of the job's record and of its GET answer.
"""

import argparse
import statistics
import time

import httpx2
from service import broker_name, running_service, wait_finished

from storage import JobStore

JOBS = (
    ("leibniz", 1),
    ("leibniz", 10),
    ("leibniz-euler", 10_000),
    ("leibniz-cf", 100_000),
    ("leibniz-cf", 1_000_000),
)


def read_times(client: httpx2.Client, job_id: str, reads: int) -> tuple[list[float], int]:
    times = []
    size = 0
    for _ in range(reads):
        start = time.perf_counter()
        answer = client.get(f"/tasks/{job_id}")
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.text[:200]
        size = len(answer.content)
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--largest", type=int, help="also a leibniz-cf job of this many digits")
    args = parser.parse_args()
    jobs = [*JOBS, *([("leibniz-cf", args.largest)] if args.largest else [])]
    settings = {"cf_max_digits": str(max(d for m, d in jobs if m == "leibniz-cf"))}
    print(f"broker: {broker_name()}; {args.reads} sequential reads of each finished job")
    print(
        f"{'method':>14} {'digits':>11} {'chunks':>7} {'record KiB':>10} {'answer KiB':>10} "
        f"{'median ms':>9} {'p99 ms':>7}"
    )
    with running_service(2, **settings) as (client, state):
        store = JobStore(state)
        finished = []
        for method, digits in jobs:
            created = client.post("/tasks", json={"method": method, "digits": digits})
            assert created.status_code == 202, created.text
            body = wait_finished(client, created.json()["id"], poll=0.5)
            assert body["status"] == "SUCCESS", str(body)[:300]
            finished.append((method, digits, str(body["id"])))
        for method, digits, job_id in finished:
            times, size = read_times(client, job_id, args.reads)
            times.sort()
            p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
            record = store.record_path(job_id).stat().st_size
            print(
                f"{method:>14} {digits:>11,} {len(store.get(job_id).chunks):>7} "
                f"{record / 1024:>10.1f} {size / 1024:>10.1f} "
                f"{1000 * statistics.median(times):>9.2f} {1000 * p99:>7.2f}"
            )


if __name__ == "__main__":
    main()
