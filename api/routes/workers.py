"""The Celery workers seen, with their host's load, and the queue depth."""

import logging
import threading
import time
from dataclasses import asdict

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api import errors
from api.auth import HostReaderDep
from api.deps import CeleryDep, SettingsDep
from pipeline.celery_config import PichordCelery
from pipeline.inspection import queue_depth, worker_statuses

logger = logging.getLogger(__name__)

router = APIRouter(tags=["workers"], dependencies=[HostReaderDep], responses=errors.READ)


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


@router.get("/workers", response_model=WorkerList)
def workers(request: Request, celery: CeleryDep, settings: SettingsDep) -> WorkerList:
    """Workers answering on the broker: pool size, running and processed tasks, host load."""
    cache: WorkerCache = request.app.state.worker_cache
    return cache.get(celery, settings.inspect_timeout)
