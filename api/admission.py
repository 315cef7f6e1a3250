"""Admitting a submission under the per-client rate limit (``api.submission_limiter``).

A request with a client's token counts for that client wherever it comes from (one client
behind many addresses, or many clients behind one proxy); an anonymous one for its address."""

from fastapi import HTTPException, Request

from api.audit import record
from api.auth import Caller
from api.submission_limiter import SubmissionLimiter
from config import Settings
from storage.audit import AuditAction


def admit_submission(
    request: Request, caller: Caller | None, settings: Settings, limiter: SubmissionLimiter
) -> None:
    """429 when the caller (or its address) is over its rate; called by ``api.submission``."""
    try:
        if caller is not None:
            limiter.admit(f"client:{caller.name}", f"client {caller.name!r}")
        else:
            address = request.client.host if request.client else "unknown"
            limiter.admit(f"address:{address}", f"client {address}")
    except HTTPException as exc:
        # A submission refused here is a submission too, for the audit log.
        record(settings, request, AuditAction.SUBMIT, caller=caller, result=str(exc.status_code))
        raise
