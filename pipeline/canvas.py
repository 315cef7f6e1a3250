"""A job's work as a Celery canvas: chord(group(chunk tasks), reducer)."""

from celery import chord, group
from celery.canvas import Signature

from pipeline.celery_app import PichordCelery
from storage import ChunkSpec, JobRecord, JobStore
from storage.records import utcnow

CHUNK_TASK = "pichord.chunk"
REDUCE_TASK = "pichord.reduce"


class DispatchError(RuntimeError):
    """The broker did not take the job's messages."""


def chunk_task_id(job_id: str, dispatch: int, index: int) -> str:
    return f"{job_id}.d{dispatch}.c{index}"


def job_chord(app: PichordCelery, job_id: str, specs: list[ChunkSpec], dispatch: int) -> chord:
    """Deterministic ids: a chord's group, parts and body can be found from the job alone."""
    header = group(
        [
            app.signature(
                CHUNK_TASK,
                args=(job_id, spec.index, spec.start, spec.stop),
                task_id=chunk_task_id(job_id, dispatch, spec.index),
            )
            for spec in specs
        ],
        app=app,
    ).set(task_id=f"{job_id}.d{dispatch}")
    body: Signature[None] = app.signature(REDUCE_TASK, args=(job_id,))
    canvas = chord(header, body, app=app)
    canvas.set(task_id=f"{job_id}.d{dispatch}.reduce")
    return canvas


def dispatch(app: PichordCelery, store: JobStore, job_id: str, specs: list[ChunkSpec]) -> int:
    """Send a chord over ``specs``; returns its dispatch number."""
    number = 0

    def count(current: JobRecord) -> JobRecord:
        nonlocal number
        number = current.dispatches + 1
        return current.model_copy(update={"dispatches": number, "dispatched_at": utcnow()})

    store.update(job_id, count)
    try:
        job_chord(app, job_id, specs, number).apply_async()
    except Exception as exc:
        raise DispatchError(f"could not send job {job_id} to the broker: {exc}") from exc
    return number
