"""Chunks delivered twice, and chunks that fail, on the real RabbitMQ."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from config import Settings
from pipeline import canvas
from pipeline.canvas import dispatch, reduce_task_id
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery
from pipeline.jobs import plan_job, submit_planned
from pipeline.lanes import head_ticket_id, lane_ticket, next_ticket_id
from pipeline.task_names import LANE_TASK, REDUCE_TASK
from storage import ChunkSpec, JobRecord, JobStore
from storage.result_backend import FileResultBackend
from tests.conftest import MethodEnv
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for


def executed(app: PichordCelery) -> dict[str, int]:
    """Tasks each worker has run, by name, as the workers themselves count them."""
    totals: dict[str, int] = {}
    # A fresh connection: a pooled one may have outlived the broker's heartbeat timeout.
    with app.connection_for_write() as connection:
        replies = app.control.inspect(timeout=2, connection=connection).stats() or {}
    for stats in replies.values():
        for name, count in stats.get("total", {}).items():
            totals[name] = totals.get(name, 0) + count
    return totals


@pytest.fixture
def client_app(
    rabbitmq_url: str, tmp_path: Path, processes: Processes
) -> Iterator[tuple[httpx2.Client, PichordCelery, Path]]:
    state, queue = tmp_path / "state", f"q-{tmp_path.name}"
    processes.env = service_env(state, rabbitmq_url, queue=queue, chunk_seconds="0.05")
    processes.worker("w1", concurrency=2)
    app = create_celery_app(Settings(state_dir=state, broker_url=rabbitmq_url, queue=queue))
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        yield client, app, state
    app.close()


def test_duplicate_ticket_counts_once_and_reducer_runs_once(
    client_app: tuple[httpx2.Client, PichordCelery, Path],
) -> None:
    client, app, state = client_app
    job_id = client.get("/leibnic/9").json()["id"]
    job = JobStore(state).get(job_id)
    # The first lane ticket again: same task id, group and chord, as a broker redelivery
    # would bring it. Celery files a chord's group under the body's id.
    group_id = reduce_task_id(job_id, 1)
    body: Any = app.signature(REDUCE_TASK, args=(job_id,))
    body.freeze(group_id, group_id=group_id)
    lane_ticket(app, job_id, 1).apply_async(
        task_id=head_ticket_id(job_id, 1, 0), group_id=group_id, chord=body
    )
    final = poll_until_finished(client, job_id, timeout=120)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == "3.141592653"
    # Every chunk was claimed by one ticket, each ticket but the lanes' last claimed one,
    # and the duplicate ran too, whether beside its twin or after it.
    wait_for(
        lambda: executed(app).get(LANE_TASK, 0) > len(job.chunks),
        30,
        "the duplicate to be consumed",
        interval=0.5,
    )
    assert executed(app).get(REDUCE_TASK) == 1
    records = JobStore(state).chunks(job_id)
    assert sorted(records) == [s.index for s in job.chunks]
    assert {r.attempts for r in records.values()} == {1}


# n=9: the sender's next delivery has chunks left to hand out; n=1 is one chunk, which
# the sender computes itself, so only the chord knows that a next ticket is owed.
@pytest.mark.parametrize(("digits", "digits_of_pi"), [(9, "3.141592653"), (1, "3.1")])
def test_a_next_ticket_added_but_never_sent_is_sent_by_its_senders_next_delivery(
    client_app: tuple[httpx2.Client, PichordCelery, Path], digits: int, digits_of_pi: str
) -> None:
    client, app, state = client_app
    job = plan_job(app.settings, "leibniz", digits)
    # What a first delivery of lane 0's head ticket leaves when its process dies between
    # adding its next ticket to the chord and sending it: a member nobody will send. The
    # broker brings the head ticket again (here: its first delivery), which must send it.
    group_id = reduce_task_id(job.id, 1)
    orphan = next_ticket_id(job.id, 1, head_ticket_id(job.id, 1, 0))
    app.backend.add_to_chord(group_id, app.AsyncResult(orphan))
    submit_planned(app, JobStore(state), job)
    # Well before the stall sweep (JOB_STALL_SECONDS, 120 s) could send the job again: the
    # chord waits for every member, so it fired in its first dispatch only once the orphan
    # had been sent and had returned.
    final = poll_until_finished(client, job.id, timeout=60)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == digits_of_pi, final.get("error")
    assert JobStore(state).get(job.id).dispatches == 1


def test_chunk_that_raises_fails_the_job_with_its_error(
    client_app: tuple[httpx2.Client, PichordCelery, Path],
) -> None:
    client, app, state = client_app
    store = JobStore(state)
    job_id = str(uuid.uuid4())
    # A sibling running when its neighbour fails and long past the test's end whatever the
    # kernel's speed (3e13 terms: ten minutes or more on a core), so only the failure can
    # stop it; then a chunk whose odd end cannot pair its terms: the kernel refuses it, for
    # good.
    sibling = ChunkSpec(index=0, start=0, stop=30_000_000_000_000)
    bad = ChunkSpec(index=1, start=sibling.stop, stop=sibling.stop + 101)
    store.create(
        JobRecord(
            id=job_id, method="leibniz", digits=1, terms_total=bad.stop, chunks=[sibling, bad]
        )
    )
    # The sibling is sent first and is running when the bad chunk is sent.
    dispatch(app, store, job_id, [sibling])

    def sibling_running() -> bool:
        record = store.get_chunk(job_id, 0)
        return record is not None and record.status == "PROGRESS"

    wait_for(sibling_running, 30, "the sibling to run")
    dispatch(app, store, job_id, [bad])
    final = poll_until_finished(client, job_id, timeout=60)[-1]
    assert final["status"] == "FAILURE"
    assert "even ends" in str(final["error"]) and LANE_TASK in str(final["error"])
    assert final["stoptime"] is not None and "result" not in final

    def sibling_stopped() -> bool:
        record = store.get_chunk(job_id, 0)
        return record is not None and record.status == "REVOKED"

    # The failure cancels the sibling at its next checkpoint, far before it could finish.
    wait_for(sibling_stopped, 10, "the running sibling to stop")
    assert executed(app).get(REDUCE_TASK, 0) == 0


def test_tickets_store_no_results_and_the_job_still_joins(
    client_app: tuple[httpx2.Client, PichordCelery, Path],
) -> None:
    client, app, _ = client_app
    job_id = client.get("/leibnic/9").json()["id"]
    final = poll_until_finished(client, job_id, timeout=60)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == "3.141592653", final.get("error")
    # The chord read the tickets' returns from its own markers, and kept nothing else.
    assert app.AsyncResult(head_ticket_id(job_id, 1, 0)).state == "PENDING"


def test_a_chord_an_earlier_version_sent_finishes_on_this_worker(
    client_app: tuple[httpx2.Client, PichordCelery, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, app, state = client_app
    # That version's API saved every chord's group, whose tickets stored their results; such a
    # chord is joined from those results (tests/integration/test_result_backend.py).
    save_group = FileResultBackend.apply_chord

    def apply_chord(backend: FileResultBackend, header: Any, body: Any, **options: Any) -> None:
        save_group(backend, header, body, **options)
        app.GroupResult(*header).save(backend=backend)

    def storing_ticket(*args: Any) -> Any:
        return lane_ticket(*args).set(ignore_result=False)

    monkeypatch.setattr(FileResultBackend, "apply_chord", apply_chord)
    monkeypatch.setattr(canvas, "lane_ticket", storing_ticket)
    # Planned as the service plans (chunk_seconds), so that tickets send next tickets.
    job = plan_job(app.settings.model_copy(update={"chunk_seconds": 0.05}), "leibniz", 9)
    assert len(job.chunks) > app.settings.job_lanes
    submit_planned(app, JobStore(state), job)
    final = poll_until_finished(client, job.id, timeout=60)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == "3.141592653", final.get("error")
    assert app.AsyncResult(head_ticket_id(job.id, 1, 0)).state == "SUCCESS"


@pytest.mark.parametrize("broker", ["rabbitmq", "embedded"])
def test_a_ticket_held_by_a_dying_delivery_runs_once_it_is_let_go(
    rabbitmq_url: str, tmp_path: Path, processes: Processes, method_env: MethodEnv, broker: str
) -> None:
    """A killed worker's tickets are handed on as its connection drops, a moment before the
    kernel frees the dead processes' locks. The delivery that finds its ticket held must run
    it once the holder lets go, not drop it and leave the chord to the stall sweep."""
    state, queue = tmp_path / "state", f"q-{tmp_path.name}"
    url = rabbitmq_url if broker == "rabbitmq" else None
    processes.env = service_env(state, url, queue=queue)
    app = create_celery_app(Settings(state_dir=state, broker_url=url, queue=queue))
    store = JobStore(state)
    # Planned at a speed the test sets: tens of chunks, so the other lane computes them all.
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND="1e9")
    job = plan_job(app.settings.model_copy(update={"chunk_seconds": 0.05}), "leibniz", 9)
    assert len(job.chunks) > 2 * app.settings.job_lanes
    submit_planned(app, store, job)
    held = head_ticket_id(job.id, 1, 0)
    # Held here, as by the dying delivery, before any worker runs.
    with store.claims(job.id, 1).ticket(held) as holder:
        assert holder is not None
        processes.worker("w1", concurrency=2)

        def all_chunks_finished() -> bool:
            records = store.chunks(job.id)
            return len(records) == len(job.chunks) and all(r.finished for r in records.values())

        wait_for(all_chunks_finished, 60, "the other lane to compute every chunk")
        assert not store.get(job.id).status.finished  # the chord waits for the held ticket
        # Held past Celery's default of 3 retries (0.5 + 1 + 2 s), as a twin computing a
        # long chunk holds it: the ticket keeps trying, and the job is not failed.
        log = processes.logs / "worker-w1.log"
        wait_for(
            lambda: log.read_text().count(f"{held}: another delivery") >= 5,
            60,
            "the held ticket to be tried five times",
        )
        assert not store.get(job.id).status.finished
    # Let go, as the kernel does once the process is dead: well before the stall sweep
    # (job_stall_seconds, 120 s) the ticket runs and the chord fires in its first dispatch.
    wait_for(lambda: store.get(job.id).status.finished, 60, "the job to finish")
    finished = store.get(job.id)
    assert (finished.status, finished.result, finished.dispatches) == ("SUCCESS", "3.141592653", 1)
    app.close()
