"""What the workers answer on the broker, with their host's load and the queue depth, asked
at most once per PICHORD_WORKERS_CACHE_SECONDS for every request (GET /workers)."""

import logging
import threading
import time
from dataclasses import asdict

from api.schemas.workers import WorkerList, WorkerPublic
from pipeline.celery_config import PichordCelery
from pipeline.inspection import queue_depth, worker_statuses

logger = logging.getLogger(__name__)


class WorkerCache:
    """One inspection serves every request for a short while, so bursts do not flood the broker."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._value: WorkerList | None = None

    def get(self, celery: PichordCelery, timeout: float) -> WorkerList:
        with self._lock:
            if self._value is not None and time.time() - self._value.observed_at < self._ttl:
                return self._value
            try:
                depth: int | None = queue_depth(celery)
            except Exception:
                logger.warning("could not read the queue depth", exc_info=True)
                depth = None
            try:
                found = worker_statuses(celery, timeout)
            except Exception:
                # A broker that is down: no worker can answer, which is not a server error.
                logger.warning("could not ask the workers for their status", exc_info=True)
                found = []
            self._value = WorkerList(
                workers=[WorkerPublic(**asdict(w)) for w in found],
                queue=celery.settings.queue,
                queue_depth=depth,
                observed_at=time.time(),
            )
            return self._value
