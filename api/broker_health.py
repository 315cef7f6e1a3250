"""The broker's health as this API process last found it: a circuit breaker for submissions.

After the broker failed a submission, the next ones are refused at once for a cooldown,
instead of each waiting for the same connection to fail again. The first submission after
the cooldown tries the broker (its connection attempt is the probe) while the others are
still refused; if it gets through, submissions flow again.
"""

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.jobs import BrokerFailedError

# Long enough that an outage is not probed by every request, short enough that clients
# told to come back (Retry-After) find a broker that has recovered.
COOLDOWN_SECONDS = 2.0


class BrokerDownError(RuntimeError):
    """A submission the broker failed, or that was refused because it failed a recent one."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class BrokerHealth:
    def __init__(
        self,
        broker: str,
        check: str,
        cooldown: float = COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``broker`` is the broker as messages show it, ``check`` what to check when it
        stays unreachable."""
        self._broker = broker
        self._check = check
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        # When the broker last failed a submission and why; None while it takes them.
        self._failed_at: float | None = None
        self._reason = ""
        self._probing = False

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """One submission's use of the broker. Raises BrokerDownError at once while the
        breaker is open; a broker failure inside the block opens it, and is raised as a
        BrokerDownError too."""
        probe = self._admit()
        try:
            yield
        except BrokerFailedError as exc:
            raise self._trip(exc) from exc
        except BaseException:
            # Not the broker's doing (bad input, a full service): nothing learnt about it.
            if probe:
                self._end_probe()
            raise
        self._recover()

    def _admit(self) -> bool:
        """Whether this submission is the probe after a cooldown; BrokerDownError if it may
        not try the broker at all."""
        with self._lock:
            if self._failed_at is None:
                return False
            now = self._clock()
            wait = self._failed_at + self._cooldown - now
            if wait <= 0 and not self._probing:
                self._probing = True
                return True
            ago = now - self._failed_at
            # Past the cooldown another submission is probing: its answer is due within a
            # connect timeout, so 1 s.
            retry_after = max(1, math.ceil(wait))
        raise BrokerDownError(
            f"the broker at {self._broker} failed a submission {ago:.1f} s ago "
            f"({self._reason}), so submissions are refused for now; no job was stored. "
            f"{self._advice(retry_after)}",
            retry_after,
        )

    def _trip(self, exc: BrokerFailedError) -> BrokerDownError:
        with self._lock:
            self._failed_at = self._clock()
            self._reason = exc.cause
            self._probing = False
        retry_after = max(1, math.ceil(self._cooldown))
        return BrokerDownError(f"{exc}. {self._advice(retry_after)}", retry_after)

    def _end_probe(self) -> None:
        with self._lock:
            self._probing = False

    def _recover(self) -> None:
        with self._lock:
            self._failed_at = None
            self._probing = False

    def _advice(self, retry_after: int) -> str:
        return f"Retry in {retry_after} s (Retry-After); if it goes on, {self._check}"
