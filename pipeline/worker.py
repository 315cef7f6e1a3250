"""Entry point for ``celery -A pipeline.worker worker``.

Celery's ``-A`` looks up ``app`` on this module; the app is built on that first lookup
(module ``__getattr__``), so importing the module does no work.
"""

from functools import lru_cache
from typing import Any

from celery.signals import worker_process_init

# Imported for its side effect: it registers the workers' status command.
from pipeline import inspection  # noqa: F401
from pipeline.celery_app import PichordCelery, create_celery_app
from pipeline.leibniz import warm_up


@lru_cache(maxsize=1)
def _app() -> PichordCelery:
    return create_celery_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@worker_process_init.connect
def _compile_kernel(**_: Any) -> None:
    # Each pool process loads the compiled kernel before it takes its first chunk.
    warm_up()
