"""Submitting and cancelling jobs: what the API asks of the pipeline."""

import uuid

from pipeline.canvas import DispatchError, dispatch
from pipeline.celery_app import PichordCelery
from pipeline.euler_plan import new_plan, round_parts
from pipeline.methods import Method
from pipeline.planning import ChunkPlanner, terms_needed
from storage import ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import utcnow


class DigitsOutOfRangeError(ValueError):
    def __init__(self, digits: int, method: Method, cap: int) -> None:
        advice = (
            "plain Leibniz needs about 10^digits terms; use method 'leibniz-euler' for more"
            if method is Method.LEIBNIZ
            else "set PICHORD_EULER_MAX_DIGITS to allow more"
        )
        super().__init__(
            f"digits must be between 0 and {cap} for method '{method}' (got {digits}); {advice}"
        )
        self.digits = digits
        self.cap = cap


class TooManyPendingJobsError(RuntimeError):
    def __init__(self, pending: int, limit: int) -> None:
        super().__init__(
            f"{pending} jobs are unfinished and the limit is {limit} "
            "(PICHORD_MAX_PENDING_JOBS); retry once some have finished"
        )


class JobFinishedError(RuntimeError):
    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"job {job.id} already finished with status {job.status}")
        self.job = job


# A leibniz-euler job lasts seconds, so its parts are cut finer: with a few parts per
# process the last ones even out the load instead of leaving a process idle at the end.
EULER_PARTS_PER_PROCESS = 4


def chunk_planner(app: PichordCelery, method: Method = Method.LEIBNIZ) -> ChunkPlanner:
    settings = app.settings
    if method is Method.LEIBNIZ:
        speed, parallelism = settings.kernel_terms_per_second, settings.worker_concurrency
    else:
        speed = settings.euler_terms_per_second
        parallelism = settings.worker_concurrency * EULER_PARTS_PER_PROCESS
    return ChunkPlanner(
        chunk_terms=max(2, int(speed * settings.chunk_seconds)),
        parallelism=parallelism,
        max_chunks=settings.max_chunks,
    )


def digits_cap(app: PichordCelery, method: Method) -> int:
    settings = app.settings
    return settings.leibniz_max_digits if method is Method.LEIBNIZ else settings.euler_max_digits


def plan_job(app: PichordCelery, method: Method, digits: int) -> JobRecord:
    cap = digits_cap(app, method)
    if not 0 <= digits <= cap:
        raise DigitsOutOfRangeError(digits, method, cap)
    job_id = str(uuid.uuid4())
    split = chunk_planner(app, method).split
    if method is Method.LEIBNIZ_EULER:
        chosen, params = new_plan(digits, app.settings.euler_guard_digits)
        return JobRecord(
            id=job_id,
            method=method,
            digits=digits,
            terms_total=chosen.terms,
            chunks=round_parts(chosen, split, round_=1, first_index=0),
            euler=params,
        )
    terms = terms_needed(digits)
    return JobRecord(
        id=job_id,
        method=method,
        digits=digits,
        terms_total=terms,
        chunks=[ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(split(0, terms))],
    )


def submit(app: PichordCelery, store: JobStore, method: Method, digits: int) -> JobRecord:
    """Plan, record and dispatch a job. Raises TooManyPendingJobsError when the service is
    full, and DispatchError (job marked FAILURE) if the broker does not take it."""
    job = plan_job(app, method, digits)
    limit = app.settings.max_pending_jobs
    with store.admission_lock():
        pending = len(store.pending_ids())
        if pending >= limit:
            raise TooManyPendingJobsError(pending, limit)
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
