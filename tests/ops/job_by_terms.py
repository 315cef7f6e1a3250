"""Submit a leibniz job over a given number of terms, dispatched as the API dispatches one.

A request gets exactly the terms its digits need (98 G for n=10, 4.8 T for n=11, nothing
between); more terms only narrow the bracket, so such a job ends with the same digits. The
containers test runs this file in the app container (`python - DIGITS TERMS CHUNK_TERMS`, the
source on stdin): the job's files then belong to the service's user, and the settings
(broker, state dir) are the container's. Imported by the test as well, so a renamed function
fails at collection rather than inside a container.
"""

import os
import sys
import uuid

from config import Settings
from pipeline.canvas import dispatch
from pipeline.celery_app import create_celery_app
from pipeline.fleet import processes_online
from pipeline.methods.leibniz.method import LEIBNIZ
from storage import ChunkSpec, JobRecord, JobStore


def submit_by_terms(digits: int, terms: int, chunk_terms: int) -> str:
    """The new job's id; its chunks are cut as the service cuts them, ``chunk_terms`` each."""
    # Chunks of chunk_terms: a kernel of that speed on paper, one second per chunk.
    os.environ["PICHORD_KERNEL_TERMS_PER_SECOND"] = str(chunk_terms)
    settings = Settings(chunk_seconds=1.0)
    ranges = LEIBNIZ.series_planner(settings, processes_online(settings)).split(0, terms)
    job = JobRecord(
        id=str(uuid.uuid4()),
        method="leibniz",
        digits=digits,
        terms_total=terms,
        chunks=[ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(ranges)],
    )
    store = JobStore(settings.state_dir)
    store.create(job)
    dispatch(create_celery_app(settings), store, job.id, job.chunks)
    return job.id


if __name__ == "__main__":
    digits, terms, chunk_terms = map(int, sys.argv[1:4])
    print(submit_by_terms(digits, terms, chunk_terms))
