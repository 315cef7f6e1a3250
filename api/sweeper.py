"""The API process's background sweep that re-dispatches stalled jobs."""

import logging
import threading

from pipeline.celery_config import PichordCelery
from pipeline.watchdog import redispatch_stalled
from storage import JobStore

logger = logging.getLogger(__name__)


class StallSweeper:
    def __init__(self, celery: PichordCelery, store: JobStore, period: float) -> None:
        self._celery = celery
        self._store = store
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                redispatch_stalled(self._celery, self._store)
            except Exception:
                # One bad sweep (a broker hiccup) must not end the sweeping.
                logger.exception("stall sweep failed")
