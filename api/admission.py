"""Per-client rate limit on submissions (PICHORD_SUBMIT_RATE_LIMIT), with the `limits`
library: a moving window kept in memory per API process, or in Redis for all of them.

A request with a client's token counts for that client wherever it comes from (one client
behind many addresses, or many clients behind one proxy); an anonymous one for its address."""

import math
import time
from typing import cast

import limits
from fastapi import HTTPException, Request, status
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.audit import record
from api.auth import WriterCaller
from api.deps import SettingsDep
from config import Settings
from storage.audit import AuditAction


class SubmissionLimiter:
    def __init__(self, settings: Settings) -> None:
        rate = settings.submit_rate_limit.strip()
        self._item = limits.parse(rate) if rate else None
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    def admit(self, key: str, shown: str) -> None:
        """Count one submission under ``key``; 429 with Retry-After naming ``shown`` when it is
        over the rate."""
        if self._item is None or self._limiter.hit(self._item, "submit", key):
            return
        reset = self._limiter.get_window_stats(self._item, "submit", key).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"{shown} is over the submission rate of {self._item}; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


def admit_submission(request: Request, caller: WriterCaller, settings: SettingsDep) -> None:
    limiter = cast(SubmissionLimiter, request.app.state.submission_limiter)
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
