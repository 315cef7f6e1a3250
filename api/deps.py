"""Dependencies shared by the routes: the settings, the job store and the Celery app."""

from typing import Annotated, cast

from fastapi import Depends, Request

from config import Settings
from pipeline.celery_config import PichordCelery
from storage import JobStore


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def _store(request: Request) -> JobStore:
    return cast(JobStore, request.app.state.store)


def _celery(request: Request) -> PichordCelery:
    return cast(PichordCelery, request.app.state.celery)


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[JobStore, Depends(_store)]
CeleryDep = Annotated[PichordCelery, Depends(_celery)]
