"""The jobs running now across the service, with the queue: the operator's first question."""

import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import errors
from api.auth import ReaderDep
from api.deps import CeleryDep, ChunkCacheDep, RunningStateDep, SettingsDep, StoreDep
from api.running import RunningJob, fleet_load, running_jobs
from pipeline.fleet import live_workers

router = APIRouter(tags=["tasks"], dependencies=[ReaderDep], responses=errors.READ)


class RunningList(BaseModel):
    jobs: list[RunningJob] = Field(description="Every unfinished job, oldest first")
    processes_busy: int = Field(
        description="Worker processes computing a chunk of these jobs at this instant; it "
        "misses or catches the short gaps between two chunks, so it jumps: see `busy_share`"
    )
    processes_online: int = Field(
        description="Pool processes of the workers whose heartbeat is fresh (0 when none is)"
    )
    busy_share: float | None = Field(
        description="Share of those processes' time spent running tasks over the last "
        "`busy_window_seconds`, from the workers' heartbeats; null while no worker beats"
    )
    busy_window_seconds: float | None = Field(
        description="Seconds `busy_share` covers (less for a worker started more recently)"
    )
    queue: str
    queue_depth: int | None = Field(
        description="Messages waiting in the broker; null until the broker has answered"
    )
    queue_observed_at: float | None = Field(description="POSIX time of that answer")
    observed_at: float


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
