"""The result backend's own work for a chord, in this process, against the real broker:

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/chord_join.py

- CPU per one-ticket chord (the shape of an n=1 job): ``apply_chord`` (the API's share) and
  the ticket's return, which fires the chord and runs its body in place (a pool process's
  share; the body here does nothing, so what is counted is the backend's and Celery's);
- the time the last member of a big chord takes to return: it reads every member's marker
  and sends the body.

Members return as a worker returns them (``mark_as_done`` with the task's request), storing
a result only if lane tickets do. The big chord's body goes to a queue of the run's own,
deleted after.
"""

import argparse
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from celery.app.task import Context

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery
from pipeline.lanes import lane_ticket
from pipeline.task_names import REDUCE_TASK

# A body that does nothing, for the chords of one ticket, which run theirs in place.
NO_OP_BODY = "bench.no-op-body"


def new_chord(
    app: PichordCelery, members: int, body_name: str = REDUCE_TASK
) -> tuple[str, list[str], dict[str, Any]]:
    group_id = f"{uuid.uuid4()}.d1.reduce"
    ids = [f"{group_id[:36]}.d1.l{i}" for i in range(members)]
    body = app.signature(body_name, args=(group_id[:36],))
    body.freeze(group_id, group_id=group_id)
    return group_id, ids, dict(body)


def member_returns(
    app: PichordCelery, group_id: str, task_id: str, body: dict[str, Any], ignore_result: bool
) -> None:
    request = Context(
        id=task_id,
        group=group_id,
        group_index=0,
        chord=body,
        delivery_info={},
        ignore_result=ignore_result,
    )
    app.backend.mark_as_done(task_id, None, request=request)


def one_ticket_chords(app: PichordCelery, count: int, ignore_result: bool) -> None:
    app.task(name=NO_OP_BODY)(no_op_body)
    chords = [new_chord(app, 1, NO_OP_BODY) for _ in range(count)]
    started = time.process_time()
    for group_id, ids, body in chords:
        app.backend.apply_chord((group_id, [app.AsyncResult(i) for i in ids]), body)
    applied = time.process_time()
    for group_id, ids, body in chords:
        member_returns(app, group_id, ids[0], body, ignore_result)
    returned = time.process_time()
    print(
        f"{count} one-ticket chords, CPU ms per chord: apply_chord "
        f"{(applied - started) * 1000 / count:.3f}, the ticket's return and its body in place "
        f"{(returned - applied) * 1000 / count:.3f}"
    )


def no_op_body(results: list[Any], job_id: str) -> None:
    pass


def big_chord(app: PichordCelery, members: int, ignore_result: bool) -> None:
    group_id, ids, body = new_chord(app, members)
    app.backend.apply_chord((group_id, [app.AsyncResult(i) for i in ids]), body)
    for task_id in ids[:-1]:
        member_returns(app, group_id, task_id, body, ignore_result)
    started = time.perf_counter()
    # The last return reads every marker and sends the body.
    member_returns(app, group_id, ids[-1], body, ignore_result)
    elapsed = time.perf_counter() - started
    print(f"a chord of {members} members: the last one's return took {elapsed * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chords", type=int, default=2000)
    parser.add_argument("--members", type=int, default=2048)
    args = parser.parse_args()
    broker = os.environ.get("PICHORD_BROKER_URL")
    if not broker:
        raise SystemExit("set PICHORD_BROKER_URL: the bodies are published to the broker")
    state = Path(tempfile.mkdtemp(prefix="pichord-chords-"))
    queue = f"bench-chords-{state.name}"
    app = create_celery_app(Settings(state_dir=state, broker_url=broker, queue=queue))
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_declare(queue, durable=True, auto_delete=False)
        # As lane tickets are sent: storing their results or not.
        ignore_result = bool(lane_ticket(app, "job", 1).options.get("ignore_result"))
        one_ticket_chords(app, args.chords, ignore_result)
        big_chord(app, args.members, ignore_result)
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        app.close()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
