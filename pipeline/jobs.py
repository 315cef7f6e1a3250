"""Submitting and cancelling jobs: what the API asks of the pipeline."""

import logging
import uuid

from config import Settings
from pipeline.canvas import (
    DispatchError,
    counted_first_dispatch,
    reduce_task_id,
    send_dispatch,
)
from pipeline.celery_config import PichordCelery, broker_shown
from pipeline.fleet import processes_online
from pipeline.methods import method_named
from pipeline.methods.base import ComputeMethod
from storage import JobRecord, JobStatus, JobStore
from storage.records import utcnow
from storage.room import MIB, Reserve, WriteRefusedError, full_disk_behind

logger = logging.getLogger(__name__)


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


class ClientQuotaError(TooManyPendingJobsError):
    def __init__(self, client: str, pending: int, limit: int) -> None:
        RuntimeError.__init__(
            self,
            f"client {client!r} has {pending} unfinished jobs and the limit is {limit} per "
            "client (PICHORD_MAX_PENDING_JOBS_PER_CLIENT); retry once some have finished",
        )


class BrokerFailedError(RuntimeError):
    """The broker failed a submission; ``cause`` is what its connection said."""

    def __init__(self, message: str, cause: BaseException) -> None:
        super().__init__(message)
        self.cause = str(cause)


class BrokerUnreachableError(BrokerFailedError):
    """The broker did not accept a connection, so no job was stored."""

    def __init__(self, broker: str, timeout: float, cause: BaseException) -> None:
        super().__init__(
            f"the broker at {broker} did not accept a connection within {timeout:g} s "
            f"({cause}); no job was stored",
            cause,
        )


class JobNotSentError(BrokerFailedError):
    """The job was stored but the broker did not take its messages: it is marked FAILURE."""

    def __init__(self, broker: str, job_id: str, cause: BaseException) -> None:
        super().__init__(
            f"the broker at {broker} did not take job {job_id} ({cause}); the job was "
            "marked FAILURE",
            cause,
        )


class JobFinishedError(RuntimeError):
    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"job {job.id} already finished with status {job.status}")
        self.job = job


def check_digits(settings: Settings, method_name: str, digits: int) -> None:
    """UnknownMethodError or DigitsOutOfRangeError for a request no job can be made of."""
    method = method_named(method_name)
    cap = method.max_digits()
    if not 0 <= digits <= cap:
        raise DigitsOutOfRangeError(digits, method, cap)


def plan_job(
    settings: Settings,
    method_name: str,
    digits: int,
    processes: int | None = None,
    *,
    owner: str | None = None,
    job_id: str | None = None,
) -> JobRecord:
    """A new job's record, cut for ``processes`` computing at once (by default the worker
    processes online now); UnknownMethodError or DigitsOutOfRangeError for a bad request."""
    check_digits(settings, method_name, digits)
    processes = processes or processes_online(settings)
    job = method_named(method_name).plan(settings, job_id or str(uuid.uuid4()), digits, processes)
    return job.model_copy(update={"owner": owner})


def submit(app: PichordCelery, store: JobStore, method_name: str, digits: int) -> JobRecord:
    """Plan, record and dispatch a job; see ``submit_planned`` for what it raises."""
    return submit_planned(app, store, plan_job(app.settings, method_name, digits))


def submit_planned(app: PichordCelery, store: JobStore, job: JobRecord) -> JobRecord:
    """Record and dispatch a planned job. Raises BrokerUnreachableError (nothing stored) when
    the broker does not accept a connection, TooManyPendingJobsError when the service is
    full (ClientQuotaError when the job's owner has its share of unfinished jobs),
    StateDirFullError (nothing stored) when the state dir is below its reserve or a write
    meets a full disk, and JobNotSentError (the job marked FAILURE and cancelled) if the
    broker does not take the job's messages."""
    reach_broker(app)
    # Recorded as dispatched before it is stored, so the record is written once; a crash
    # before the publish leaves what a crash between a dispatch's count and its publish
    # always left, a dispatched job without messages, which the stall sweep sends again.
    job = counted_first_dispatch(job)
    settings = app.settings

    def admit(pending: int) -> None:
        # The client's share is small (max_pending_jobs_per_client): counted each time.
        if job.owner is not None:
            owned = store.pending_count(job.owner)
            if owned >= settings.max_pending_jobs_per_client:
                raise ClientQuotaError(job.owner, owned, settings.max_pending_jobs_per_client)
        if pending >= settings.max_pending_jobs:
            raise TooManyPendingJobsError(pending, settings.max_pending_jobs)

    # Checked once before the record is written and fsynced, so that a full service turns
    # submissions away without touching the disk; then again, binding, under the lock.
    store.admission.check(admit)
    store.check_room(reserve_of(settings))
    store.create(job, admit)
    try:
        send_dispatch(app, store, job, job.dispatches, job.chunks)
    except DispatchError as exc:
        cause = full_disk_behind(exc)
        if cause is not None and cause is exc.__cause__:
            # The chord's join file could not be written, before any message was sent; nor
            # could a FAILURE record be, so the job is taken out again (unlinks only), with
            # its chord's folder, which Celery names after the body.
            store.delete(job.id, job)
            app.backend.delete_group(reduce_task_id(job.id, job.dispatches))
            raise WriteRefusedError(cause) from exc
        if cause is not None:
            # The embedded broker's message could not be written, maybe after another lane's
            # was: the job is stored and stays accepted, and the stall sweep sends it again
            # once there is room.
            logger.warning("job %s stored but not sent, the state dir is full: %s", job.id, exc)
            return job
        # Cancelled as well: a message the broker took without confirming it in time is
        # dropped by the worker that receives it, instead of computing a failed job.
        fail(store, job.id, str(exc))
        raise JobNotSentError(broker_shown(app.settings), job.id, exc.__cause__ or exc) from exc
    return job


def reserve_of(settings: Settings) -> Reserve:
    return Reserve(round(settings.min_free_mb * MIB), settings.min_free_inodes)


def reach_broker(app: PichordCelery) -> None:
    """Connect the pooled connection that the next publish takes, unless it is connected:
    one attempt within the app's broker_connection_timeout, so a broker that is down costs
    no job record. A connection the broker dropped unnoticed still looks connected here; the
    publish finds out and reconnects (task_publish_retry_policy)."""
    try:
        with app.connection_or_acquire() as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:
        # Only connecting is tried here: whatever stops it, the broker is not taking jobs.
        timeout = float(app.conf.broker_connection_timeout)
        raise BrokerUnreachableError(broker_shown(app.settings), timeout, exc) from exc


def cancel(store: JobStore, job_id: str, read: JobRecord | None = None) -> JobRecord:
    """Mark the job REVOKED and raise the flag its chunks poll; idempotent for REVOKED jobs.
    ``read``: the record as the caller just read it, so that it is not read again."""
    job = read or store.get(job_id)
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
