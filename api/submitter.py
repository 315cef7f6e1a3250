"""Taking submissions: the API's own Celery app for publishing them, behind the broker's
health (``api.broker_health``).

The workers' publishes retry a lost broker patiently; a client waiting on its submission
must not wait for that, so submissions are sent by an app of their own with
``submission_config``: one short connection attempt, bounded waits for the broker's confirm.
The API's other broker traffic (stall sweeps, inspections) keeps the shared configuration.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.broker_health import BrokerHealth
from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery, broker_shown, submission_config
from pipeline.fleet import OnlineProcesses
from pipeline.jobs import plan_job, submit_planned
from storage import JobRecord, JobStore


def submission_app(settings: Settings) -> PichordCelery:
    app = create_celery_app(settings)
    # Before anything is sent: Celery reads these when it first connects and publishes.
    app.conf.update(submission_config(settings))
    return app


def what_to_check(app: PichordCelery) -> str:
    if app.settings.embedded_broker:
        folder = app.conf.broker_transport_options["data_folder_in"]
        return (
            f"check that the embedded broker's folder {folder} is writable (PICHORD_BROKER_URL "
            "is unset, so the broker lives under PICHORD_STATE_DIR)"
        )
    return "check that the broker is running and that PICHORD_BROKER_URL names it"


class Submitter:
    def __init__(self, app: PichordCelery) -> None:
        self.app = app
        self.health = BrokerHealth(broker_shown(app.settings), what_to_check(app))
        self.processes = OnlineProcesses(app.settings)

    def submit(
        self,
        store: JobStore,
        method_name: str,
        digits: int,
        *,
        owner: str | None = None,
        job_id: str | None = None,
        callback_url: str | None = None,
    ) -> JobRecord:
        """Plan, record and send a job for client ``owner``. A bad request is refused first
        (UnknownMethodError, DigitsOutOfRangeError), also while the broker is down; then
        BrokerDownError when the broker fails it or failed one moments ago,
        TooManyPendingJobsError when the service (or the owner's share of it) is full."""
        job = plan_job(
            self.app.settings, method_name, digits, self.processes(), owner=owner, job_id=job_id
        )
        job = job.model_copy(update={"callback_url": callback_url})
        with self.health.attempt():
            return submit_planned(self.app, store, job)

    def close(self) -> None:
        self.app.close()


@asynccontextmanager
async def submitter_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan of the tasks router, which every submission route goes through."""
    submitter = Submitter(submission_app(app.state.settings))
    app.state.submitter = submitter
    try:
        yield
    finally:
        submitter.close()
