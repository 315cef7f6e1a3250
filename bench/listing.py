"""Listing 10,000 stored jobs: GET /tasks (a page of 50) and GET /tasks?status=… through
uvicorn, with the store filled directly (finished jobs of one chunk each).

    .venv/bin/python bench/listing.py
"""

import statistics
import time
import uuid
from datetime import timedelta

from service import running_service

from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import utcnow

JOBS = 10_000
RUNS = 20


def fill(store: JobStore) -> None:
    start = utcnow() - timedelta(days=1)
    for n in range(JOBS):
        job = JobRecord(
            id=str(uuid.uuid4()),
            method="leibniz",
            digits=3,
            status=JobStatus.SUCCESS if n % 10 else JobStatus.FAILURE,
            pushqtime=start + timedelta(seconds=n),
            stoptime=start + timedelta(seconds=n + 1),
            terms_total=2522,
            chunks=[ChunkSpec(index=0, start=0, stop=2522)],
            result="3.141",
        )
        store.create(job)
        store.save_chunk(
            job.id,
            ChunkRecord(index=0, start=0, stop=2522, terms_done=2522, status=JobStatus.SUCCESS),
        )


def timed(get: object, path: str) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        response = get(path)  # type: ignore[operator]
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
    return statistics.median(times) * 1000, max(times) * 1000


def main() -> None:
    with running_service(1, submit_rate_limit="") as (client, state):
        began = time.perf_counter()
        fill(JobStore(state))
        print(f"stored {JOBS} jobs in {time.perf_counter() - began:.1f} s")
        for path in ("/tasks", "/tasks?offset=9950", "/tasks?status=FAILURE", "/health"):
            median, worst = timed(client.get, path)
            print(f"GET {path:<24} median {median:7.1f} ms   max {worst:7.1f} ms   ({RUNS} runs)")


if __name__ == "__main__":
    main()
