"""Entry point for ``celery -A pipeline.worker worker``.

Celery's ``-A`` looks up ``app`` on this module; the app is built on that first lookup
(module ``__getattr__``), so importing the module does no work.
"""

import os
from functools import lru_cache
from typing import Any

from celery.signals import worker_process_init

# Imported for its side effect: it registers the workers' status command.
from pipeline import inspection  # noqa: F401
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery
from pipeline.methods import METHODS


@lru_cache(maxsize=1)
def _app() -> PichordCelery:
    return create_celery_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@worker_process_init.connect
def _yield_to_the_api(**_: Any) -> None:
    os.nice(_app().settings.worker_nice)


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    # Each pool process compiles (or loads) what the methods need before its first chunk.
    for method in METHODS.values():
        method.warm_up()
