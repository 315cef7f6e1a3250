"""The chord join of the file backend, on the real RabbitMQ with no worker running.

Parts are marked done through the backend exactly as a worker does it (mark_as_done /
mark_as_failure with the task's request); every body the backend sends lands in the queue,
where RabbitMQ counts it, and the body of a chord of one part runs in this process.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Task
from celery.app.task import Context
from celery.exceptions import ChordError

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery
from pipeline.task_names import REDUCE_TASK


@pytest.fixture
def app(rabbitmq_url: str, state_dir: Path) -> Iterator[PichordCelery]:
    settings = Settings(
        state_dir=state_dir, broker_url=rabbitmq_url, queue=f"backend-{state_dir.parent.name}"
    )
    celery = create_celery_app(settings)
    try:
        yield celery
    finally:
        with celery.connection_for_write() as conn:
            conn.default_channel.queue_delete(settings.queue)
        celery.close()


def queued(app: PichordCelery) -> int:
    with app.connection_for_write() as conn:
        ok = conn.default_channel.queue_declare(app.settings.queue, passive=True)
        return int(ok.message_count)


def start_chord(
    app: PichordCelery, size: int, body_name: str = REDUCE_TASK
) -> tuple[str, list[str], dict[str, Any]]:
    group_id = "g-" + app.settings.state_dir.parent.name
    ids = [f"{group_id}.c{i}" for i in range(size)]
    body = app.signature(body_name, args=("job",))
    body.freeze(f"{group_id}.body", group_id=group_id)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare(app.settings.queue, durable=True, auto_delete=False)
    app.backend.apply_chord((group_id, [app.AsyncResult(i) for i in ids]), body)
    return group_id, ids, dict(body)


def finish(
    app: PichordCelery,
    group_id: str,
    task_id: str,
    body: dict[str, Any],
    value: Any,
    *,
    index: int | None = None,
    ignore_result: bool = False,
) -> None:
    """Return a member as a worker does; ``index``: its place in the header (a member added
    while the chord ran carries its adder's)."""
    request = Context(
        id=task_id,
        group=group_id,
        group_index=index,
        chord=body,
        delivery_info={},
        ignore_result=ignore_result,
    )
    if isinstance(value, Exception):
        app.backend.mark_as_failure(task_id, value, request=request)
    else:
        app.backend.mark_as_done(task_id, value, request=request)


def test_body_is_sent_once_when_the_last_distinct_part_finishes(app: PichordCelery) -> None:
    group_id, ids, body = start_chord(app, 3)
    finish(app, group_id, ids[0], body, 1)
    finish(app, group_id, ids[0], body, 1)  # redelivered: must not count twice
    finish(app, group_id, ids[1], body, 2)
    assert queued(app) == 0
    finish(app, group_id, ids[2], body, 3)
    assert queued(app) == 1
    finish(app, group_id, ids[2], body, 3)  # a late duplicate of the last part
    finish(app, group_id, ids[1], body, 2)
    assert queued(app) == 1
    assert app.AsyncResult(ids[1]).get(timeout=1) == 2


def sent_body_values(app: PichordCelery) -> list[Any]:
    """What the one body in the queue was given as the parts' results: its first argument,
    before its own (Celery's message protocol 2)."""
    with app.connection_for_write() as conn:
        message = conn.default_channel.basic_get(app.settings.queue, no_ack=True)
    assert message is not None, "no body was sent"
    args, _kwargs, _embed = json.loads(message.body)
    assert args[1:] == ["job"]
    return list(args[0])


def test_body_gets_the_parts_results_in_header_order_without_stored_results(
    app: PichordCelery,
) -> None:
    group_id, ids, body = start_chord(app, 3)
    meta = Path(app.backend.root) / "meta"
    assert not [path.name for path in meta.iterdir() if "taskset" in path.name]
    # Finished out of order, storing nothing, as lane tickets do (ignore_result).
    for index, value in [(2, {"c": 2}), (0, 0.5), (1, [1])]:
        finish(app, group_id, ids[index], body, value, index=index, ignore_result=True)
    assert [path.name for path in meta.iterdir()] == []
    assert sent_body_values(app) == [0.5, [1], {"c": 2}]


def test_a_group_saved_by_an_earlier_version_is_joined_from_its_stored_results(
    app: PichordCelery,
) -> None:
    group_id, ids, body = start_chord(app, 2)
    # That version saved every group and left empty markers; its tickets stored results.
    app.GroupResult(group_id, [app.AsyncResult(i) for i in ids]).save(backend=app.backend)
    app.backend.mark_as_done(ids[0], "a")
    app.backend.mark_as_done(ids[1], "b")
    done = Path(app.backend.root) / "chords" / group_id / "done"
    done.mkdir(parents=True, exist_ok=True)
    (done / ids[0]).touch()
    finish(app, group_id, ids[1], body, "b")
    assert sent_body_values(app) == ["a", "b"]


def test_a_member_returned_through_an_earlier_worker_fails_a_new_chord_saying_why(
    app: PichordCelery,
) -> None:
    group_id, ids, body = start_chord(app, 2)
    done = Path(app.backend.root) / "chords" / group_id / "done"
    done.mkdir(parents=True, exist_ok=True)
    (done / ids[0]).touch()  # an earlier version's marker: no result beside it
    finish(app, group_id, ids[1], body, "b")
    assert queued(app) == 0
    outcome = app.AsyncResult(body["options"]["task_id"])
    assert outcome.state == "FAILURE"
    assert "upgrade every worker before the API" in str(outcome.result)


def test_a_single_part_chord_runs_its_body_in_place_once(app: PichordCelery) -> None:
    calls: list[tuple[object, ...]] = []

    @app.task(name="tests.body", bind=True)  # type: ignore[untyped-decorator]
    def body_task(task: Task[Any, Any], results: list[int], job: str) -> None:
        calls.append((results, job, task.request.id))

    group_id, ids, body = start_chord(app, 1, body_task.name)
    finish(app, group_id, ids[0], body, 7)
    finish(app, group_id, ids[0], body, 7)  # the member delivered again
    assert calls == [([7], "job", f"{group_id}.body")]
    assert queued(app) == 0


def test_a_body_run_in_place_runs_again_only_once_its_runner_died(app: PichordCelery) -> None:
    calls: list[list[int]] = []

    @app.task(name="tests.dying-body")  # type: ignore[untyped-decorator]
    def body_task(results: list[int], job: str) -> None:
        calls.append(results)
        if len(calls) == 1:
            finish(app, group_id, ids[0], body, 7)  # delivered again meanwhile: waits its turn
            raise SystemExit("the process running the body is killed")

    group_id, ids, body = start_chord(app, 1, body_task.name)
    with pytest.raises(SystemExit):
        finish(app, group_id, ids[0], body, 7)
    finish(app, group_id, ids[0], body, 7)  # the member's message, delivered again
    finish(app, group_id, ids[0], body, 7)  # and again, after the body ran
    assert calls == [[7], [7]]


def test_a_body_failing_in_place_fails_as_itself_not_its_member(app: PichordCelery) -> None:
    failures: list[BaseException] = []

    class Failing(Task[Any, Any]):
        def on_failure(self, exc: BaseException, *_: Any) -> None:
            failures.append(exc)

    @app.task(name="tests.failing-body", base=Failing)  # type: ignore[untyped-decorator]
    def body_task(results: list[int], job: str) -> None:
        raise ValueError(f"no digits in {results}")

    group_id, ids, body = start_chord(app, 1, body_task.name)
    finish(app, group_id, ids[0], body, 7)
    assert [str(exc) for exc in failures] == ["no digits in [7]"]
    assert app.AsyncResult(ids[0]).state == "SUCCESS"


def test_failed_part_fails_the_body_instead_of_sending_it(app: PichordCelery) -> None:
    group_id, ids, body = start_chord(app, 2)
    finish(app, group_id, ids[0], body, 1)
    finish(app, group_id, ids[1], body, ValueError("chunk exploded"))
    assert queued(app) == 0
    outcome = app.AsyncResult(body["options"]["task_id"])
    assert outcome.state == "FAILURE"
    assert isinstance(outcome.result, ChordError) and "chunk exploded" in str(outcome.result)


def test_results_are_files_replaced_atomically(app: PichordCelery) -> None:
    app.backend.mark_as_done("plain-task", {"x": 1})
    assert app.AsyncResult("plain-task").get(timeout=1) == {"x": 1}
    meta = Path(app.backend.root) / "meta"
    assert [p.name for p in meta.iterdir() if p.name.endswith(".tmp")] == []
    app.backend.set("../../escape", b"v")
    assert not (meta.parent.parent / "escape").exists()


def test_a_member_added_while_the_chord_runs_is_waited_for(app: PichordCelery) -> None:
    group_id, ids, body = start_chord(app, 2)
    added = f"{group_id}.t1"
    # A running member adds the next one before it returns, as a lane ticket does.
    app.backend.add_to_chord(group_id, app.AsyncResult(added))
    finish(app, group_id, ids[0], body, 1)
    finish(app, group_id, ids[1], body, 2)
    assert queued(app) == 0
    finish(app, group_id, added, body, None)
    assert queued(app) == 1


def test_a_member_added_twice_is_waited_for_once(app: PichordCelery) -> None:
    group_id, ids, body = start_chord(app, 1)
    added = f"{group_id}.t1"
    assert not app.backend.in_chord(group_id, added)
    # A ticket delivered again adds the same next ticket again: one member, not two.
    for _ in range(2):
        app.backend.add_to_chord(group_id, app.AsyncResult(added))
    assert app.backend.in_chord(group_id, added)
    finish(app, group_id, ids[0], body, 1)
    assert queued(app) == 0
    finish(app, group_id, added, body, None)
    assert queued(app) == 1


def test_a_failed_added_member_fails_the_body(app: PichordCelery) -> None:
    group_id, ids, body = start_chord(app, 1)
    added = f"{group_id}.t1"
    app.backend.add_to_chord(group_id, app.AsyncResult(added))
    finish(app, group_id, ids[0], body, None)
    finish(app, group_id, added, body, ValueError("ticket exploded"))
    assert queued(app) == 0
    outcome = app.AsyncResult(body["options"]["task_id"])
    assert outcome.state == "FAILURE" and "ticket exploded" in str(outcome.result)
