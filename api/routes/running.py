"""The jobs running now across the service, with the queue: the operator's first question."""

import time

from fastapi import APIRouter

from api import errors
from api.auth import ReaderDep
from api.deps import CeleryDep, ChunkCacheDep, RunningStateDep, SettingsDep, StoreDep
from api.running import fleet_load, running_jobs
from api.schemas.running import RunningList
from pipeline.fleet import live_workers

router = APIRouter(tags=["tasks"], dependencies=[ReaderDep], responses=errors.READ)


@router.get("/running", response_model=RunningList)
def running(
    store: StoreDep,
    cache: ChunkCacheDep,
    celery: CeleryDep,
    settings: SettingsDep,
    state: RunningStateDep,
) -> RunningList:
    """Unfinished jobs (progress, rate, processes, time left), the fleet's busy share, the queue."""
    now = time.time()
    jobs = running_jobs(store, cache, state.sampler, now)
    depth = state.queue.get(celery)
    fleet = fleet_load(live_workers(settings))
    return RunningList(
        jobs=jobs,
        processes_busy=sum(len(job.processes) for job in jobs),
        processes_online=fleet.processes,
        busy_share=fleet.busy_share,
        busy_window_seconds=fleet.window_seconds,
        queue=settings.queue,
        queue_depth=depth.messages,
        queue_observed_at=depth.observed_at,
        observed_at=now,
    )
