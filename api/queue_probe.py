"""The queue depth, asked of the broker off the request path.

A broker that refuses connections takes ~6 s to say so (Celery's connection timeout and
retry), which a view polled every two seconds cannot wait for: requests get the last
answer at once, and a stale one starts a single background refresh.
"""

import logging
import threading
import time
from dataclasses import dataclass

from pipeline.celery_config import PichordCelery
from pipeline.inspection import queue_depth

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Depth:
    messages: int | None
    observed_at: float | None


class QueueDepthProbe:
    def __init__(self, max_age: float) -> None:
        self._max_age = max_age
        self._lock = threading.Lock()
        self._last = Depth(None, None)
        self._asking = False

    def get(self, celery: PichordCelery) -> Depth:
        with self._lock:
            last = self._last
            stale = last.observed_at is None or time.time() - last.observed_at >= self._max_age
            if stale and not self._asking:
                self._asking = True
                threading.Thread(target=self._ask, args=(celery,), daemon=True).start()
            return last

    def _ask(self, celery: PichordCelery) -> None:
        try:
            messages: int | None = queue_depth(celery)
        except Exception:
            logger.info("the broker did not tell the queue depth", exc_info=True)
            messages = None
        with self._lock:
            self._last = Depth(messages, time.time())
            self._asking = False
