"""Chunks delivered twice, and chunks that fail, on the real RabbitMQ."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from config import Settings
from pipeline.canvas import (
    chunk_signature,
    chunk_task_id,
    dispatch,
    lanes_per_job,
    reduce_task_id,
)
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import PichordCelery
from pipeline.lanes import lane_heads
from pipeline.task_names import CHUNK_TASK, REDUCE_TASK
from storage import ChunkSpec, JobRecord, JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for


def executed(app: PichordCelery) -> dict[str, int]:
    """Tasks each worker has run, by name, as the workers themselves count them."""
    totals: dict[str, int] = {}
    for stats in (app.control.inspect(timeout=2).stats() or {}).values():
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


def test_duplicate_chunk_counts_once_and_reducer_runs_once(
    client_app: tuple[httpx2.Client, PichordCelery, Path],
) -> None:
    client, app, state = client_app
    job_id = client.get("/leibnic/9").json()["id"]
    job = JobStore(state).get(job_id)
    spec = job.chunks[0]
    # The first lane's message again: same task id, lane, group and chord, as a broker
    # redelivery would bring it. Celery files a chord's group under the body's id.
    group_id = reduce_task_id(job_id, 1)
    body: Any = app.signature(REDUCE_TASK, args=(job_id,))
    body.freeze(group_id, group_id=group_id)
    _, lane = lane_heads(job.chunks, lanes_per_job(app))
    chunk_signature(app, job.method, job_id, spec, lane).apply_async(
        task_id=chunk_task_id(job_id, 1, spec.index), group_id=group_id, chord=body
    )
    final = poll_until_finished(client, job_id, timeout=120)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == "3.141592653"
    wait_for(
        lambda: executed(app).get(CHUNK_TASK, 0) > len(job.chunks),
        30,
        "the duplicate to be consumed",
        interval=0.5,
    )
    assert executed(app).get(REDUCE_TASK) == 1
    # Whether the duplicate met its twin at work or followed it down the lane, no chunk
    # was computed twice.
    records = JobStore(state).chunks(job_id)
    assert sorted(records) == [s.index for s in job.chunks]
    assert {r.attempts for r in records.values()} == {1}


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
    dispatch(app, store, job_id, [sibling, bad])
    final = poll_until_finished(client, job_id, timeout=60)[-1]
    assert final["status"] == "FAILURE"
    assert "even ends" in str(final["error"]) and "pichord.chunk" in str(final["error"])
    assert final["stoptime"] is not None and "result" not in final

    def sibling_stopped() -> bool:
        record = store.get_chunk(job_id, 0)
        return record is not None and record.status == "REVOKED"

    # The failure cancels the sibling at its next checkpoint, far before it could finish.
    wait_for(sibling_stopped, 10, "the running sibling to stop")
    assert executed(app).get(REDUCE_TASK, 0) == 0
