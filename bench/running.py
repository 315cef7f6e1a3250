"""GET /running, GET /tasks/{id} and GET /tasks/{id}/chunks with one unfinished job of 2,048
chunks (2,000 finished, 2 being computed, 46 waiting) through uvicorn, the store filled
directly; between requests two chunks checkpoint, as they do while a job runs. The first
request of each reads every chunk file (the cache is cold); the rest re-read only the two.

    .venv/bin/python bench/running.py
"""

import contextlib
import statistics
import time
import uuid

from service import running_service

from pipeline.methods.leibniz.models import LeibnizChunk
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import utcnow

CHUNKS = 2048
FINISHED = 2000
TERMS = 2_000_000_000
RUNS = 20


def chunk(index: int, done: int, status: JobStatus) -> ChunkRecord:
    now = utcnow()
    return ChunkRecord(
        index=index,
        start=index * TERMS,
        stop=(index + 1) * TERMS,
        status=status,
        terms_done=done,
        details=LeibnizChunk(partial=0.1).dumped(),
        worker="bench@host",
        pid=1000 + index % 2,
        attempts=1,
        starttime=now,
        updatetime=now,
        stoptime=now if status is JobStatus.SUCCESS else None,
    )


def fill(store: JobStore) -> str:
    job_id = str(uuid.uuid4())
    specs = [ChunkSpec(index=i, start=i * TERMS, stop=(i + 1) * TERMS) for i in range(CHUNKS)]
    store.create(
        JobRecord(id=job_id, method="leibniz", digits=11, terms_total=CHUNKS * TERMS, chunks=specs)
    )
    for index in range(FINISHED):
        store.save_chunk(job_id, chunk(index, TERMS, JobStatus.SUCCESS))
    return job_id


def main() -> None:
    with running_service(1) as (client, state):
        store = JobStore(state)
        job_id = fill(store)
        running = (FINISHED, FINISHED + 1)
        with contextlib.ExitStack() as held:
            for index in running:
                held.enter_context(store.chunk_lock(job_id, index))
            for path in ("/running", f"/tasks/{job_id}", f"/tasks/{job_id}/chunks"):
                times = []
                for run in range(RUNS):
                    for index in running:
                        store.save_chunk(job_id, chunk(index, run * 1000, JobStatus.PROGRESS))
                    began = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200, response.text
                if path == "/running":
                    [job] = response.json()["jobs"]
                    assert len(job["processes"]) == len(running), job
                print(
                    f"GET {path.replace(job_id, '{id}'):<20} first {times[0]:6.1f} ms   "
                    f"median of the next {RUNS - 1} {statistics.median(times[1:]):6.1f} ms   "
                    f"max {max(times[1:]):6.1f} ms"
                )


if __name__ == "__main__":
    main()
