"""Dependencies shared by the routes: the settings, the job store, its chunk cache, the
Celery app, the submitter and the job watcher."""

from typing import Annotated, cast

from fastapi import Depends, Request

from api.chunk_cache import ChunkCache
from api.job_watcher import JobWatcher
from api.submitter import Submitter
from config import Settings
from pipeline.celery_config import PichordCelery
from storage import JobStore


async def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def _store(request: Request) -> JobStore:
    return cast(JobStore, request.app.state.store)


async def _chunk_cache(request: Request) -> ChunkCache:
    return cast(ChunkCache, request.app.state.chunk_cache)


async def _celery(request: Request) -> PichordCelery:
    return cast(PichordCelery, request.app.state.celery)


async def _watcher(request: Request) -> JobWatcher:
    return cast(JobWatcher, request.app.state.watcher)


async def _submitter(request: Request) -> Submitter:
    # Set up by the tasks router's lifespan (api.submitter.submitter_lifespan).
    return cast(Submitter, request.app.state.submitter)


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[JobStore, Depends(_store)]
ChunkCacheDep = Annotated[ChunkCache, Depends(_chunk_cache)]
CeleryDep = Annotated[PichordCelery, Depends(_celery)]
SubmitterDep = Annotated[Submitter, Depends(_submitter)]
WatcherDep = Annotated[JobWatcher, Depends(_watcher)]
