"""Dependencies shared by the routes: everything the app keeps in ``app.state`` (set up by
``api.main.create_app`` and its lifespans), reached by routes only through these."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from api.answer_cache import AnswerCache
from api.chunk_cache import ChunkCache
from api.host.sampler import CpuSampler
from api.job_watcher import JobWatcher
from api.metrics import ServiceMetrics
from api.running import RunningState
from api.submission_limiter import SubmissionLimiter
from api.submitter import Submitter
from api.worker_cache import WorkerCache
from config import Settings
from pipeline.celery_config import PichordCelery
from storage import JobStore


def _app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    # Async: FastAPI runs it on the event loop, not on a worker thread (it reads no file).
    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"app_state_{name}"
    return get


SettingsDep = Annotated[Settings, Depends(_app_state("settings"))]
StoreDep = Annotated[JobStore, Depends(_app_state("store"))]
ChunkCacheDep = Annotated[ChunkCache, Depends(_app_state("chunk_cache"))]
AnswerCacheDep = Annotated[AnswerCache, Depends(_app_state("answer_cache"))]
CeleryDep = Annotated[PichordCelery, Depends(_app_state("celery"))]
# Set up by the tasks router's lifespan (api.submitter.submitter_lifespan).
SubmitterDep = Annotated[Submitter, Depends(_app_state("submitter"))]
WatcherDep = Annotated[JobWatcher, Depends(_app_state("watcher"))]
MetricsDep = Annotated[ServiceMetrics, Depends(_app_state("metrics"))]
WorkerCacheDep = Annotated[WorkerCache, Depends(_app_state("worker_cache"))]
SubmissionLimiterDep = Annotated[SubmissionLimiter, Depends(_app_state("submission_limiter"))]
RunningStateDep = Annotated[RunningState, Depends(_app_state("running"))]
SamplerDep = Annotated[CpuSampler, Depends(_app_state("sampler"))]
