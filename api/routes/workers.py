"""The Celery workers seen, with their host's load, and the queue depth."""

from fastapi import APIRouter

from api import errors
from api.auth import HostReaderDep
from api.deps import CeleryDep, SettingsDep, WorkerCacheDep
from api.schemas.workers import WorkerList

router = APIRouter(tags=["workers"], dependencies=[HostReaderDep], responses=errors.READ)


@router.get("/workers", response_model=WorkerList)
def workers(cache: WorkerCacheDep, celery: CeleryDep, settings: SettingsDep) -> WorkerList:
    """Workers answering on the broker: pool size, running and processed tasks, host load."""
    return cache.get(celery, settings.inspect_timeout)
