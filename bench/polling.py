"""Poll latency: GET /tasks/{id} of a running 64-chunk job vs a static endpoint (/health),
through uvicorn. The job is written into the store mid-run: 64 chunk files in progress.

    .venv/bin/python bench/polling.py
"""

import statistics
import time
import uuid

from service import running_service

from pipeline.methods.leibniz.models import LeibnizChunk
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore

CHUNKS = 64
REQUESTS = 500


def running_job(store: JobStore) -> str:
    size = 2_000_000_000
    specs = [ChunkSpec(index=i, start=i * size, stop=(i + 1) * size) for i in range(CHUNKS)]
    job = JobRecord(
        id=str(uuid.uuid4()),
        method="leibniz",
        digits=10,
        terms_total=CHUNKS * size,
        chunks=specs,
    )
    store.create(job)
    for spec in specs:
        store.save_chunk(
            job.id,
            ChunkRecord(
                index=spec.index,
                start=spec.start,
                stop=spec.stop,
                terms_done=size // 2,
                details=LeibnizChunk(partial=1e-10, error_bound=1e-20).dumped(),
                worker="bench@host",
            ),
        )
    return job.id


def main() -> None:
    with running_service(1) as (client, state):
        job_id = running_job(JobStore(state))
        print(f"{REQUESTS} sequential requests each, through uvicorn on loopback")
        print(f"{'endpoint':<34} {'median':>9} {'min':>9} {'max':>9}")
        for name, path in (
            (f"GET /tasks/{{id}} ({CHUNKS} chunks)", f"/tasks/{job_id}"),
            ("GET /tasks/{id}/chunks", f"/tasks/{job_id}/chunks"),
            ("GET /health (static)", "/health"),
        ):
            times = []
            for _ in range(REQUESTS):
                start = time.perf_counter()
                assert client.get(path).status_code == 200
                times.append(1000 * (time.perf_counter() - start))
            print(
                f"{name:<34} {statistics.median(times):6.2f} ms {min(times):6.2f} ms "
                f"{max(times):6.2f} ms"
            )


if __name__ == "__main__":
    main()
