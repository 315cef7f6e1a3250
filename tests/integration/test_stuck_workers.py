"""A worker that stops consuming while its queue fills exits, so a fresh one takes over."""

import socket
from pathlib import Path

import httpx2
import pytest

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.limbo_guard import EX_TEMPFAIL
from pipeline.verify import reference_digits
from tests.integration.conftest import Processes, poll_until_finished, service_env


@pytest.mark.parametrize("broker", ["rabbitmq", "embedded"])
def test_a_worker_that_no_longer_consumes_exits_and_its_jobs_finish_on_the_next(
    broker: str, processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    url = rabbitmq_url if broker == "rabbitmq" else None
    state = tmp_path / "state"
    queue = f"q-{tmp_path.name}"
    processes.env = service_env(state, url, queue=queue, worker_limbo_seconds="3")
    first = processes.worker("w1", concurrency=1)
    app = create_celery_app(Settings(state_dir=state, broker_url=url, queue=queue))
    try:
        # The worker stays up, answering, but takes nothing more from the queue: what a
        # consumer whose connection was cut at the wrong moment looks like.
        name = f"w1@{socket.gethostname()}"
        # A connection of its own: one from kombu's process-wide pool may have sat idle in
        # this test process for minutes, past the broker's heartbeat timeout, or been closed
        # by an earlier test's broker drop, and a control call does not reconnect.
        with app.connection_for_write() as connection:
            replies = app.control.cancel_consumer(
                queue, destination=[name], reply=True, timeout=5, connection=connection
            )
        assert replies and name in replies[0], replies
    finally:
        app.close()
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get("/leibnic/4").json()["id"]
        assert first.wait(timeout=60) == EX_TEMPFAIL
        processes.worker("w2", concurrency=1)
        final = poll_until_finished(client, job_id, timeout=60)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == reference_digits(4)
