"""Entry point for ``celery -A pipeline.worker worker``.

Celery's ``-A`` looks up ``app`` on this module; the app is built on that first lookup
(module ``__getattr__``), so importing the module does no work.
"""

import logging
import os
from functools import lru_cache
from typing import Any

from celery.signals import worker_init, worker_process_init

# Imported for its side effect: it registers the workers' status command.
from pipeline import inspection  # noqa: F401
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery
from pipeline.methods import METHODS

logger = logging.getLogger(__name__)
# The worker's main process, noted before it forks its pool (see _leave_if_orphaned).
_main_pid: int | None = None
# A pool process that finds its worker gone exits with this code.
EXIT_ORPHANED = 70


@lru_cache(maxsize=1)
def _app() -> PichordCelery:
    return create_celery_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@worker_init.connect
def _note_the_main_process(**_: Any) -> None:
    global _main_pid
    _main_pid = os.getpid()


@worker_process_init.connect
def _leave_if_orphaned(**_: Any) -> None:
    """Celery has the kernel kill a pool process when its worker dies, but it asks for that
    after the fork: a worker killed in between leaves a pool process nobody ends (seen after
    kill -9 of workers under load, its parent init). Connected first, so it runs first."""
    if _main_pid is not None and os.getppid() != _main_pid:
        logger.warning(
            "pool process %d: its worker (pid %d) died while starting it; exiting",
            os.getpid(),
            _main_pid,
        )
        os._exit(EXIT_ORPHANED)


@worker_process_init.connect
def _yield_to_the_api(**_: Any) -> None:
    os.nice(_app().settings.worker_nice)


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    # Each pool process compiles (or loads) what the methods need before its first chunk.
    for method in METHODS.values():
        method.warm_up()
