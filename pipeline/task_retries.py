"""When a task is sent again instead of failing: the state dir is full, or another delivery
of the same lane ticket holds it."""

import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

from celery import Task
from celery.exceptions import Ignore

from config import Settings
from pipeline.celery_config import PichordCelery
from pipeline.chunk_runner import ChunkCancelledError
from storage.room import is_disk_full

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _settings(task: Task[Any, Any]) -> Settings:
    return cast(PichordCelery, task.app).settings


def retry_when_disk_full(task: Task[Any, Any], exc: OSError) -> NoReturn:
    # The state dir is full (or over quota): the last checkpoint is intact (writes are
    # atomic), so the task is sent again later and resumes there; progress shows what was
    # saved.
    if not is_disk_full(exc):
        raise exc
    settings = _settings(task)
    logger.warning(
        "state dir full while %s ran; retrying in %g s",
        task.request.id,
        settings.disk_full_retry_seconds,
    )
    if task.request.is_eager:
        # A reducer run in place by its chord's one task: Celery retries an eager task at
        # once, in place, with no wait, so it is queued to run after the wait instead.
        retries = task.request.retries + 1
        if retries > settings.disk_full_retries:
            raise exc
        try:
            task.signature(
                tuple(task.request.args or ()),
                dict(task.request.kwargs or {}),
                task_id=task.request.id,
                countdown=settings.disk_full_retry_seconds,
                retries=retries,
            ).apply_async()
        except Exception:
            # Not queued (the embedded broker's messages live on the full disk too): the
            # job waits for the stall sweep, as a retry Celery could not send does.
            logger.warning("could not queue %s to run later", task.request.id, exc_info=True)
        raise Ignore()
    raise task.retry(
        exc=exc,
        countdown=settings.disk_full_retry_seconds,
        max_retries=settings.disk_full_retries,
    )


def guarded(task: Task[Any, Any], work: Callable[[], T]) -> T:
    """Run a ticket's or a chunk's work: a cancelled job ends it without storing anything
    (the chord then never fires), and a full state dir sends it again later."""
    try:
        return work()
    except ChunkCancelledError:
        raise Ignore() from None
    except OSError as exc:
        retry_when_disk_full(task, exc)


# A delivery finding its ticket held tries again after 0.5 s, then twice as long each time,
# at most this long.
TICKET_RETRY_MAX_SECONDS = 8.0


def ticket_retry_countdown(retries: int) -> float:
    return float(min(0.5 * 2**retries, TICKET_RETRY_MAX_SECONDS))


def retry_while_another_delivery_holds(task: Task[Any, Any]) -> NoReturn:
    """Another delivery of this ticket holds it: one the broker redelivered while the first
    lives on, or one whose process is dying. A killed worker's tickets are handed on as its
    connection drops, a moment before the kernel frees the dead processes' locks; a delivery
    that ended then lost the ticket, and its chord waited for the stall sweep (127 s with a
    killed worker container). Tried again shortly, it finds the ticket done (the other
    delivery finished) or free (it died); it must not return before, or the chord would
    count the ticket while its chunk still computes. Past the stall sweep's own wait it
    ends: the sweep sends the job again by then."""
    retries = task.request.retries
    waited = sum(ticket_retry_countdown(n) for n in range(retries))
    if waited >= _settings(task).job_stall_seconds:
        logger.warning("%s: another delivery held this ticket for %g s", task.request.id, waited)
        raise Ignore()
    logger.info("%s: another delivery of this ticket holds it; trying again", task.request.id)
    # The limit is the wait above: Celery's own (a None here means the task's default, 3)
    # would fail the ticket, and with it the job, while its twin still computes.
    raise task.retry(countdown=ticket_retry_countdown(retries), max_retries=retries + 1)
