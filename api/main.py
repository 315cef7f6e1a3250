"""The FastAPI application factory (``uvicorn --factory api.main:create_app``)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.answer_cache import AnswerCache
from api.body_limit import BodyLimitMiddleware
from api.chunk_cache import ChunkCache
from api.errors import install_error_handlers
from api.host.sampler import CpuSampler
from api.job_watcher import JobWatcher
from api.metrics import ServiceMetrics
from api.request_metrics import RequestMetricsMiddleware
from api.routes import (
    digits,
    events,
    health,
    host,
    leibnic,
    methods,
    metrics,
    running,
    tasks,
    ui,
    workers,
)
from api.running import RunningState
from api.submission_limiter import SubmissionLimiter
from api.sweeper import StallSweeper
from api.webhooks import WebhookDeliverer
from api.worker_cache import WorkerCache
from config import Settings, get_settings
from pipeline.celery_app import create_celery_app
from storage import JobStore

# uvicorn configures this logger, so the API's own warnings print with its level and format.
logger = logging.getLogger("uvicorn.error")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warning := settings.open_warning:
            logger.warning(warning)
        celery = create_celery_app(settings)
        store = JobStore(settings.state_dir)
        store.refresh_index()
        app.state.celery = celery
        app.state.store = store
        app.state.metrics.collect_from(settings, store, app.state.chunk_cache, celery)
        app.state.worker_cache = WorkerCache(settings.workers_cache_seconds)
        app.state.submission_limiter = SubmissionLimiter(settings)
        sampler = CpuSampler(settings.sample_seconds)
        sampler.start()
        app.state.sampler = sampler
        sweeper = StallSweeper(celery, store, settings.watchdog_seconds)
        sweeper.start()
        watcher = JobWatcher(store, app.state.chunk_cache)
        watcher.start()
        app.state.watcher = watcher
        deliverer = WebhookDeliverer(settings, store, app.state.chunk_cache)
        deliverer.start()
        try:
            yield
        finally:
            deliverer.stop()
            await watcher.stop()
            sweeper.stop()
            sampler.stop()
            celery.close()

    app = FastAPI(
        title="pichord",
        summary="Certified digits of pi from the Leibniz series, computed as a Celery chord.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # A few more than the unfinished jobs admitted, for those finishing between two reads.
    app.state.chunk_cache = ChunkCache(max_jobs=settings.max_pending_jobs + 8)
    app.state.answer_cache = AnswerCache()
    app.state.running = RunningState()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    service_metrics = ServiceMetrics()
    app.state.metrics = service_metrics
    app.add_middleware(
        RequestMetricsMiddleware,
        requests=service_metrics.requests,
        latency=service_metrics.latency,
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(host.router)
    app.include_router(leibnic.router)
    app.include_router(tasks.router)
    app.include_router(events.router)
    app.include_router(digits.router)
    app.include_router(methods.router)
    app.include_router(running.router)
    app.include_router(workers.router)
    app.include_router(ui.router)
    app.mount("/ui/static", StaticFiles(directory=ui.STATIC), name="ui-static")
    return app
