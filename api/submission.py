"""Submitting a job for a caller: its owner, its Idempotency-Key, and the answers for a
refused one. POST /tasks and GET /leibnic/{n} both submit through here."""

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from api import audit
from api.admission import admit_submission
from api.auth import Caller, WriterCaller
from api.broker_health import BrokerDownError
from api.deps import StoreDep, SubmissionLimiterDep, SubmitterDep
from api.errors import STORAGE_RETRY_SECONDS
from api.schemas.tasks import TaskCreated
from api.submission_limiter import SubmissionLimiter
from api.submitter import Submitter
from api.webhooks import CallbackRefusedError, check_callback
from config import Settings
from pipeline.jobs import DigitsOutOfRangeError, TooManyPendingJobsError, check_digits
from pipeline.methods import UnknownMethodError
from storage import JobStore
from storage.audit import AuditAction
from storage.idempotency import IdempotencyKeys, KeyReusedError, KeyUse
from storage.layout import StateLayout
from storage.records import utcnow
from storage.room import StateDirFullError

MAX_KEY_LENGTH = 128
# Told to clients turned away because too many jobs are unfinished.
BACKPRESSURE_RETRY_SECONDS = 5
REPLAYED_HEADER = "Idempotent-Replayed"


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Send a submission again with the same key (after a timeout, a lost "
            "answer) and get the job the first one created, not a second job",
        ),
    ] = None,
) -> str | None:
    # Checked by submit_job, so that a malformed key is refused with an audit line.
    return key


def check_key(key: str | None) -> None:
    if key is not None and not (
        0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()
    ):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (got "
            f"{len(key)} characters{'' if key.isascii() else ', not all ASCII'}); a UUID will do",
        )


IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]
# The answer to a submission sent again with its key, for the OpenAPI document.
REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": TaskCreated,
        "description": "The job an earlier submission with the same Idempotency-Key created",
        "headers": {
            REPLAYED_HEADER: {"description": "true", "schema": {"type": "string"}},
            "Location": {"description": "The job's URL", "schema": {"type": "string"}},
        },
    }
}


@dataclass(frozen=True)
class Submission:
    """What a submission route needs besides the method and digits it asks for."""

    request: Request
    response: Response
    submitter: Submitter
    store: JobStore
    limiter: SubmissionLimiter
    caller: Caller | None
    key: str | None


async def _submission(
    request: Request,
    response: Response,
    submitter: SubmitterDep,
    store: StoreDep,
    limiter: SubmissionLimiterDep,
    # A dependency, so that a request without a valid token is refused (401/403, audited)
    # before its body or path is validated, and tells nothing to whoever sent it.
    caller: WriterCaller,
    key: IdempotencyKeyDep,
) -> Submission:
    return Submission(request, response, submitter, store, limiter, caller, key)


SubmissionDep = Annotated[Submission, Depends(_submission)]


async def submit_job(
    submission: Submission, method: str, digits: int, callback_url: str | None = None
) -> TaskCreated:
    """Create the job (202), or answer with the one this key created before (200).

    The caller's rate and the submission itself run on one worker thread: as dependencies
    of their own they took a thread each, and under load every hand-over between a thread
    and the event loop waits for the other threads' turn on the GIL. The routes are async so
    that FastAPI checks the answer on the loop rather than on another thread."""
    return await run_in_threadpool(_submit_job, submission, method, digits, callback_url)


def _submit_job(
    submission: Submission, method: str, digits: int, callback_url: str | None
) -> TaskCreated:
    settings = submission.submitter.app.settings
    caller = submission.caller
    admit_submission(submission.request, caller, settings, submission.limiter)
    owner = None if caller is None else caller.name
    with audit.audited(settings, submission.request, AuditAction.SUBMIT, caller=caller) as outcome:
        check_key(submission.key)
        with _refusals():
            # A bad request is refused before its key is looked at: it never takes a key.
            check_digits(settings, method, digits)
            if callback_url is not None:
                check_callback(settings, callback_url)
        with _key_use(settings, submission.store, owner, submission.key, method, digits) as use:
            outcome.job_id = use.job_id
            if not use.replayed:
                try:
                    with _refusals():
                        submission.submitter.submit(
                            submission.store,
                            method,
                            digits,
                            owner=owner,
                            job_id=use.job_id,
                            callback_url=callback_url,
                        )
                except HTTPException:
                    # Refused, or never taken by the broker (a stored job is then FAILURE):
                    # not accepted, so the same key must be able to make the job that runs.
                    use.release()
                    outcome.job_id = use.job_id if submission.store.exists(use.job_id) else None
                    raise
        job_id, replayed = use.job_id, use.replayed
        outcome.result = "replayed" if replayed else "accepted"
    submission.response.headers["Location"] = f"/tasks/{job_id}"
    if replayed:
        submission.response.status_code = status.HTTP_200_OK
        submission.response.headers[REPLAYED_HEADER] = "true"
    return TaskCreated(id=job_id)


@contextlib.contextmanager
def _key_use(
    settings: Settings,
    store: JobStore,
    owner: str | None,
    key: str | None,
    method: str,
    digits: int,
) -> Iterator[KeyUse]:
    """The job id to create or to answer with, and whether it is a replay; without a key, a
    new id."""
    if key is None:
        yield KeyUse(str(uuid.uuid4()), replayed=False)
        return
    keys = IdempotencyKeys(
        StateLayout(settings.state_dir).idempotency, settings.idempotency_lifetime
    )
    try:
        with keys.use(
            owner, key, f"{method}, {digits} digits", str(uuid.uuid4()), store.exists, utcnow()
        ) as use:
            yield use
    except KeyReusedError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """The submitter's refusals as answers."""
    try:
        yield
    except (DigitsOutOfRangeError, UnknownMethodError, CallbackRefusedError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except TooManyPendingJobsError as exc:
        raise _retry_later(
            status.HTTP_429_TOO_MANY_REQUESTS, exc, BACKPRESSURE_RETRY_SECONDS
        ) from exc
    except StateDirFullError as exc:
        raise _retry_later(
            status.HTTP_507_INSUFFICIENT_STORAGE, exc, STORAGE_RETRY_SECONDS
        ) from exc
    except BrokerDownError as exc:
        raise _retry_later(status.HTTP_503_SERVICE_UNAVAILABLE, exc, exc.retry_after) from exc


def _retry_later(code: int, exc: Exception, seconds: int) -> HTTPException:
    return HTTPException(code, str(exc), headers={"Retry-After": str(seconds)})
