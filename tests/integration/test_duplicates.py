"""A chunk delivered twice is computed once and the reducer runs once (real RabbitMQ)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from config import Settings
from pipeline.canvas import CHUNK_TASK, REDUCE_TASK, chunk_task_id
from pipeline.celery_app import PichordCelery, create_celery_app
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for

pytestmark = pytest.mark.integration


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
    body: Any = app.signature(REDUCE_TASK, args=(job_id,))
    body.freeze(f"{job_id}.d1.reduce", group_id=f"{job_id}.d1")
    # The same message again: same task id, same chord, as a broker redelivery would bring.
    app.signature(CHUNK_TASK, args=(job_id, spec.index, spec.start, spec.stop)).apply_async(
        task_id=chunk_task_id(job_id, 1, spec.index), group_id=f"{job_id}.d1", chord=body
    )
    final = poll_until_finished(client, job_id, timeout=120)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == "3.141592653"
    wait_for(
        lambda: executed(app).get(CHUNK_TASK, 0) == len(job.chunks) + 1,
        30,
        "the duplicate to be consumed",
        interval=0.5,
    )
    assert executed(app).get(REDUCE_TASK) == 1
    record = JobStore(state).get_chunk(job_id, spec.index)
    assert record is not None and record.attempts == 1
