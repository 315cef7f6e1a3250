"""Per-client rate limit on submissions (PICHORD_SUBMIT_RATE_LIMIT), with the `limits`
library: a moving window kept in memory per API process, or in Redis for all of them."""

import math
import time

import limits
from fastapi import HTTPException, status
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from config import Settings


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
