"""A job's work as a Celery canvas: chord(group(lanes of chunk tasks), reducer).

The group holds one task per lane (``pipeline.lanes``); each lane replaces itself with its
next chunk until it runs out, so the chord counts lanes and fires once all have ended.
"""

from celery import chord, group
from celery.canvas import Signature

from pipeline.celery_config import PichordCelery
from pipeline.inspection import pool_processes
from pipeline.lanes import Lane, lane_heads
from pipeline.methods import method_named
from pipeline.task_names import REDUCE_TASK
from storage import ChunkSpec, JobRecord, JobStore
from storage.records import utcnow


class DispatchError(RuntimeError):
    """The broker did not take the job's messages."""


def chunk_task_id(job_id: str, dispatch: int, index: int) -> str:
    return f"{job_id}.d{dispatch}.c{index}"


def reduce_task_id(job_id: str, dispatch: int) -> str:
    return f"{job_id}.d{dispatch}.reduce"


def chunk_signature(
    app: PichordCelery, method: str, job_id: str, spec: ChunkSpec, lane: Lane
) -> Signature[object]:
    name, args = method_named(method).chunk_message(job_id, spec)
    return app.signature(name, args=args, kwargs=lane.as_kwargs())


def lanes_per_job(app: PichordCelery) -> int:
    """PICHORD_JOB_LANES, or one lane per worker process consuming the queue now."""
    return app.settings.job_lanes or pool_processes(app)


def job_chord(
    app: PichordCelery, job: JobRecord, specs: list[ChunkSpec], dispatch: int, lanes: int
) -> chord:
    """Deterministic ids: a chord's group, lanes and body can be found from the job alone
    (a lane keeps the id of its first chunk's task)."""
    job_id = job.id
    heads, lane = lane_heads(specs, lanes)
    header = group(
        [
            chunk_signature(app, job.method, job_id, spec, lane).set(
                task_id=chunk_task_id(job_id, dispatch, spec.index)
            )
            for spec in heads
        ],
        app=app,
    ).set(task_id=f"{job_id}.d{dispatch}")
    body: Signature[None] = app.signature(REDUCE_TASK, args=(job_id,))
    canvas = chord(header, body, app=app)
    canvas.set(task_id=reduce_task_id(job_id, dispatch))
    return canvas


def dispatch(
    app: PichordCelery,
    store: JobStore,
    job_id: str,
    specs: list[ChunkSpec],
    lanes: int | None = None,
) -> int:
    """Send a chord over ``specs`` in ``lanes`` lanes (counted now when not given); returns
    its dispatch number."""
    number = 0

    def count(current: JobRecord) -> JobRecord:
        nonlocal number
        number = current.dispatches + 1
        return current.model_copy(update={"dispatches": number, "dispatched_at": utcnow()})

    job = store.update(job_id, count)
    canvas = job_chord(app, job, specs, number, lanes or lanes_per_job(app))
    # Only the publish: a fault in building the canvas is a bug to surface, not an outage.
    try:
        canvas.apply_async()
    except Exception as exc:
        raise DispatchError(f"could not send job {job_id} to the broker: {exc}") from exc
    return number
