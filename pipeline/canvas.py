"""A job's work as a Celery canvas: chord(group(lane tickets), reducer).

The group holds the dispatch's first lane tickets (``pipeline.lanes``); every ticket adds
the next one to the chord as it runs, so the chord fires once the last ticket returns, after
every chunk of the dispatch has finished.
"""

from celery import chord, group
from celery.canvas import Signature

from pipeline.celery_config import PichordCelery
from pipeline.lanes import head_ticket_id, lane_ticket, tickets_per_dispatch
from pipeline.task_names import REDUCE_TASK
from storage import ChunkSpec, JobRecord, JobStore
from storage.job_files import FIRST_DISPATCH, first_round
from storage.records import utcnow


class DispatchError(RuntimeError):
    """The broker did not take the job's messages."""


def reduce_task_id(job_id: str, dispatch: int) -> str:
    return f"{job_id}.d{dispatch}.reduce"


def job_chord(app: PichordCelery, job: JobRecord, dispatch: int, tickets: int) -> chord:
    """Deterministic ids for the group, its first tickets and the body: a chord can be
    found from the job alone."""
    job_id = job.id
    header = group(
        [
            lane_ticket(app, job_id, dispatch).set(task_id=head_ticket_id(job_id, dispatch, lane))
            for lane in range(tickets)
        ],
        app=app,
    ).set(task_id=f"{job_id}.d{dispatch}")
    body: Signature[None] = app.signature(REDUCE_TASK, args=(job_id,))
    canvas = chord(header, body, app=app)
    canvas.set(task_id=reduce_task_id(job_id, dispatch))
    return canvas


def dispatch(app: PichordCelery, store: JobStore, job_id: str, specs: list[ChunkSpec]) -> int:
    """Count one more dispatch of the stored job and send it over ``specs`` (see
    ``send_dispatch``); returns the dispatch number."""
    number = 0

    def count(current: JobRecord) -> JobRecord:
        nonlocal number
        number = current.dispatches + 1
        return current.model_copy(update={"dispatches": number, "dispatched_at": utcnow()})

    job = store.update(job_id, count)
    send_dispatch(app, store, job, number, specs)
    return number


def counted_first_dispatch(job: JobRecord) -> JobRecord:
    """A new job's record as its first dispatch leaves it, so that it is written once."""
    return job.model_copy(update={"dispatches": FIRST_DISPATCH, "dispatched_at": utcnow()})


def send_dispatch(
    app: PichordCelery, store: JobStore, job: JobRecord, number: int, specs: list[ChunkSpec]
) -> None:
    """Open dispatch ``number``'s claim book over ``specs`` (the first dispatch's opens
    itself) and send a chord of lane tickets for it. With no chunks (a reducer that was
    lost) the header is empty and the reducer is sent straight away."""
    indices = [spec.index for spec in specs]
    if number != FIRST_DISPATCH or indices != first_round(job):
        store.claims(job.id, number).open(indices)
    tickets = tickets_per_dispatch(app.settings, len(specs)) if specs else 0
    canvas = job_chord(app, job, number, tickets)
    # Only the publish: a fault in building the canvas is a bug to surface, not an outage.
    try:
        canvas.apply_async()
    except Exception as exc:
        raise DispatchError(f"could not send job {job.id} to the broker: {exc}") from exc
