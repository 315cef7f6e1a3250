"""A job's lanes: the few lane tickets one job keeps in the broker, however big it is.

Sending every chunk of a job at once puts a big job's thousands of messages ahead of every
later job, and a cancelled job leaves them for the workers to drain. Instead a dispatch
sends ``PICHORD_JOB_LANES`` lane tickets. A ticket names a job and a dispatch, not a chunk:
the process that runs it claims the dispatch's next chunk (``storage.claims``), first sends
the lane's next ticket to the back of the queue, then computes the chunk. So:

* jobs in the queue take turns chunk by chunk, each with the same number of tickets;
* clients take turns too: a client with k jobs computes on one turn in k (``passes_turn``);
* a ticket is waiting whenever a process frees up, so any process takes part in every
  running job, including one that joined mid-job, and a slow process simply claims fewer
  chunks than a fast one;
* the next ticket is queued while the chunk computes, so a process finishing a chunk finds
  its next one waiting instead of waiting for it to be sent.

Each next ticket joins the dispatch's chord (``Task.add_to_chord``) before it is sent, so
the chord fires once every ticket has returned, the last of them after the last chunk. A
process can die between adding a ticket and sending it: the next ticket's id derives from its
sender's, so the sender's next delivery (acks are late) sends that same ticket again, and a
ticket computes one chunk at most however often it is delivered (``storage.claims``).
"""

import hashlib
import time
import uuid
from typing import Any

from celery import Task
from celery.canvas import Signature
from celery.exceptions import Reject
from kombu.exceptions import OperationalError

from config import Settings
from pipeline.celery_config import PichordCelery
from pipeline.task_names import LANE_TASK


def lane_ticket(app: PichordCelery, job_id: str, dispatch: int) -> Signature[None]:
    """A ticket of the job's dispatch. It stores no result: its chord reads what it returned
    from its marker (``storage.chord_join``)."""
    # sent_at: when the ticket went to the queue, for the time it waited there (metrics).
    return app.signature(
        LANE_TASK,
        args=(job_id, dispatch),
        kwargs={"sent_at": time.time()},
        ignore_result=True,
    )


def head_ticket_id(job_id: str, dispatch: int, lane: int) -> str:
    return f"{job_id}.d{dispatch}.l{lane}"


def next_ticket_id(job_id: str, dispatch: int, sender_id: str) -> str:
    # Derived from the sending ticket's id: a sender delivered again (its process died after
    # adding its next ticket to the chord, perhaps before sending it) sends the same ticket
    # again, and the chord waits for one ticket, not for one that was never sent.
    digest = hashlib.sha256(sender_id.encode()).hexdigest()[:16]
    return f"{job_id}.d{dispatch}.t{digest}"


def passes_turn(ticket_id: str, client_jobs: int, pending_jobs: int) -> bool:
    """Whether a ticket of a client with ``client_jobs`` unfinished jobs, of ``pending_jobs``
    in all, lets the next ticket in the queue go first (its successor is sent to the back).

    Every job keeps the same number of tickets in the queue, so jobs share the processes
    equally; a client with k jobs would get k shares. Its tickets compute on one turn in k
    instead, so each client gets one share and its jobs split it. While only one client has
    jobs, nobody waits for nothing: its tickets never pass. The turn is read from the
    ticket's id, so a delivery of the same ticket again decides the same way."""
    if client_jobs <= 1 or pending_jobs <= client_jobs:
        return False
    turn = int(hashlib.sha256(ticket_id.encode()).hexdigest()[:8], 16)
    return turn % client_jobs != 0


def tickets_per_dispatch(settings: Settings, chunks: int) -> int:
    """Tickets a dispatch of ``chunks`` chunks starts with: one per chunk at most."""
    return max(1, min(settings.job_lanes, chunks))


def send_next_ticket(
    task: Task[Any, Any], app: PichordCelery, job_id: str, dispatch: int, *, more: bool
) -> None:
    """Send the lane's next ticket if chunks remain (``more``), having added it to the
    running ticket's chord; or send it again if an earlier delivery of the running ticket
    added it. A publish the broker does not take sends the running ticket back to the queue
    (its claim is then lost and taken over), and its next delivery sends the ticket again."""
    sender_id = task.request.id
    assert sender_id is not None  # a running task has its id
    in_chord = getattr(app.backend, "in_chord", None)
    if in_chord is None:
        # A backend that counts returns, not members (Celery's Redis backend): a ticket id
        # of its own for every delivery, as one added twice would be counted twice. A next
        # ticket lost with its sender's process is then left to the stall sweep.
        ticket_id, added_before = f"{job_id}.d{dispatch}.t{uuid.uuid4().hex[:16]}", False
    else:
        ticket_id = next_ticket_id(job_id, dispatch, sender_id)
        added_before = bool(in_chord(task.request.group, ticket_id))
    if not (more or added_before):
        return
    ticket = lane_ticket(app, job_id, dispatch).set(task_id=ticket_id)
    # Lazy: Celery only joins the ticket to the chord (it sets the chord's options on it);
    # joining it again, when sent again, leaves it one member.
    task.add_to_chord(ticket, lazy=True)
    try:
        ticket.apply_async()
    except (OperationalError, OSError) as exc:
        raise Reject(exc, requeue=True) from exc
