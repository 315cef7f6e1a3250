"""What the workers answer on the broker, with their host's load and the queue depth, asked
at most once per PICHORD_WORKERS_CACHE_SECONDS for every request (GET /workers)."""

import logging
import threading
import time
from dataclasses import asdict

from pydantic import BaseModel, Field

from pipeline.celery_config import PichordCelery
from pipeline.inspection import queue_depth, worker_statuses

logger = logging.getLogger(__name__)


class WorkerPublic(BaseModel):
    name: str
    host: str
    pid: int
    concurrency: int | None
    active: int = Field(description="Tasks running now")
    processed: dict[str, int] = Field(description="Tasks run since the worker started, by name")
    cpu_percent: float = Field(description="Worker host CPU use since the previous status request")
    load_average: list[float] = Field(description="Worker host load average, 1/5/15 minutes")


class WorkerList(BaseModel):
    workers: list[WorkerPublic]
    queue: str
    queue_depth: int | None = Field(description="Messages waiting; null if the broker is down")
    observed_at: float = Field(description="POSIX time of the inspection (cached briefly)")


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
