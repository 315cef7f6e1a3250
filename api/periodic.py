"""A daemon thread of the API process that does one thing every so often until stopped: the
stall sweep, the webhook deliveries. A round that raises is logged, and the next one runs."""

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class PeriodicThread:
    def __init__(self, what: str, period: float, action: Callable[[], object]) -> None:
        self._what = what
        self._period = period
        self._action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=what, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                self._action()
            except Exception:
                # One bad round (a broker hiccup, a file system error) must not end them all.
                logger.exception("%s failed", self._what)
