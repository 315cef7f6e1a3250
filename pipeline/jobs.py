"""Submitting and cancelling jobs: what the API asks of the pipeline."""

import uuid
from enum import StrEnum

from pipeline.canvas import DispatchError, dispatch
from pipeline.celery_app import PichordCelery
from pipeline.planning import ChunkPlanner, terms_needed
from storage import ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import utcnow


class Method(StrEnum):
    LEIBNIZ = "leibniz"


class DigitsOutOfRangeError(ValueError):
    def __init__(self, digits: int, method: Method, cap: int) -> None:
        super().__init__(
            f"digits must be between 0 and {cap} for method '{method}' "
            f"(got {digits}); plain Leibniz needs about 10^digits terms. Larger requests "
            "will be served by the Euler-accelerated method 'leibniz-euler'"
        )
        self.digits = digits
        self.cap = cap


class JobFinishedError(RuntimeError):
    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"job {job.id} already finished with status {job.status}")
        self.job = job


def chunk_planner(app: PichordCelery) -> ChunkPlanner:
    settings = app.settings
    chunk_terms = max(2, int(settings.kernel_terms_per_second * settings.chunk_seconds))
    return ChunkPlanner(
        chunk_terms=chunk_terms,
        parallelism=settings.worker_concurrency,
        max_chunks=settings.max_chunks,
    )


def submit(app: PichordCelery, store: JobStore, method: Method, digits: int) -> JobRecord:
    """Plan, record and dispatch a job. Raises DispatchError (job marked FAILURE) if the
    broker does not take it."""
    cap = app.settings.leibniz_max_digits
    if not 0 <= digits <= cap:
        raise DigitsOutOfRangeError(digits, method, cap)
    terms = terms_needed(digits)
    ranges = chunk_planner(app).split(0, terms)
    job = JobRecord(
        id=str(uuid.uuid4()),
        method=method,
        digits=digits,
        terms_total=terms,
        chunks=[ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(ranges)],
    )
    store.create(job)
    try:
        dispatch(app, store, job.id, job.chunks)
    except DispatchError as exc:
        reason = str(exc)
        store.update(job.id, lambda current: _fail(current, reason))
        raise
    return store.get(job.id)


def cancel(store: JobStore, job_id: str) -> JobRecord:
    """Mark the job REVOKED and raise the flag its chunks poll; idempotent for REVOKED jobs."""
    job = store.get(job_id)
    if job.status is JobStatus.REVOKED:
        return job
    if job.status.finished:
        raise JobFinishedError(job)
    store.request_cancel(job_id)

    def revoke(current: JobRecord) -> JobRecord | None:
        if current.status.finished:
            return None
        return current.model_copy(update={"status": JobStatus.REVOKED, "stoptime": utcnow()})

    job = store.update(job_id, revoke)
    if job.status is not JobStatus.REVOKED:
        raise JobFinishedError(job)
    return job


def fail(store: JobStore, job_id: str, reason: str) -> None:
    """End the job with ``reason`` (unless it already ended) and stop its other chunks."""
    store.update(job_id, lambda current: _fail(current, reason))
    store.request_cancel(job_id)


def _fail(current: JobRecord, reason: str) -> JobRecord | None:
    if current.status.finished:
        return None
    return current.model_copy(
        update={"status": JobStatus.FAILURE, "stoptime": utcnow(), "error": reason}
    )
