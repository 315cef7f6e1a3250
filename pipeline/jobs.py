"""Submitting and cancelling jobs: what the API asks of the pipeline."""

import uuid

from config import Settings
from pipeline.canvas import DispatchError, dispatch, lanes_per_job
from pipeline.celery_config import PichordCelery
from pipeline.methods import method_named
from pipeline.methods.base import ComputeMethod
from storage import JobRecord, JobStatus, JobStore
from storage.records import utcnow


class DigitsOutOfRangeError(ValueError):
    def __init__(self, digits: int, method: ComputeMethod, cap: int) -> None:
        super().__init__(
            f"digits must be between 0 and {cap} for method '{method.name}' (got {digits}); "
            f"{method.over_cap_advice()}"
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


def plan_job(
    settings: Settings, method_name: str, digits: int, lanes: int | None = None
) -> JobRecord:
    """A new job's record, cut for ``lanes`` (without a broker to count the worker processes:
    PICHORD_JOB_LANES, else one worker's processes); UnknownMethodError or
    DigitsOutOfRangeError for a bad request."""
    method = method_named(method_name)
    cap = method.max_digits(settings)
    if not 0 <= digits <= cap:
        raise DigitsOutOfRangeError(digits, method, cap)
    lanes = lanes or settings.job_lanes or settings.worker_concurrency
    return method.plan(settings, str(uuid.uuid4()), digits, lanes)


def submit(app: PichordCelery, store: JobStore, method_name: str, digits: int) -> JobRecord:
    """Plan, record and dispatch a job. Raises TooManyPendingJobsError when the service is
    full, and DispatchError (job marked FAILURE) if the broker does not take it."""
    # Counted once: the chunks are cut for the lanes the job is then dispatched with.
    lanes = lanes_per_job(app)
    job = plan_job(app.settings, method_name, digits, lanes)
    limit = app.settings.max_pending_jobs
    with store.admission_lock():
        pending = len(store.pending_ids())
        if pending >= limit:
            raise TooManyPendingJobsError(pending, limit)
        store.create(job)
    try:
        dispatch(app, store, job.id, job.chunks, lanes)
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
