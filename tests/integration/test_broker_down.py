"""With the broker missing a submission gets its 503 (with Retry-After) in under half a second,
and once the broker is back submissions are taken and computed again.

Half a second is the requirement itself, not a guess at this machine's speed: what is timed
is an HTTP call against a broker that never answers, bounded by the API's connect timeout.
"""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from pipeline.celery_config import SUBMIT_CONFIRM_TIMEOUT, SUBMIT_CONNECT_TIMEOUT
from tests.conftest import RABBITMQ_HOST, RABBITMQ_PORT
from tests.integration.broker_proxy import Outage, broker_proxy
from tests.integration.conftest import (
    Processes,
    poll_until_finished,
    rabbitmq_service_env,
    service_env,
)

REFUSAL_SECONDS = 0.5
# A broker that goes silent on the API's open connection: the confirm is waited for, then
# the publish reconnects (two attempts) before the submission fails; slack for the HTTP call.
SILENT_BROKER_SECONDS = SUBMIT_CONFIRM_TIMEOUT + 2 * SUBMIT_CONNECT_TIMEOUT + 0.5
# How long a recovered broker may wait for the breaker's cooldown and probe.
RECOVERY_SECONDS = 15.0


@pytest.fixture
def hung_broker() -> Iterator[int]:
    """A loopback port whose server accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for sock in held:
            sock.close()


def timed(client: httpx2.Client, method: str, path: str, **kwargs: object) -> httpx2.Response:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    response.extensions["seconds"] = time.monotonic() - started
    return response


def submissions(client: httpx2.Client) -> list[httpx2.Response]:
    """Both submission routes, twice: the first refusal and those the breaker answers."""
    return [
        timed(client, "POST", "/tasks", json={"digits": 3}),
        timed(client, "GET", "/leibnic/3"),
        timed(client, "POST", "/tasks", json={"digits": 3}),
        timed(client, "GET", "/leibnic/3"),
    ]


def assert_refused_fast(response: httpx2.Response, broker: str) -> None:
    assert response.status_code == 503, response.text
    assert response.extensions["seconds"] < REFUSAL_SECONDS, response.extensions["seconds"]
    assert int(response.headers["retry-after"]) >= 1
    detail = response.json()["detail"]
    assert f"the broker at {broker}" in detail and "PICHORD_BROKER_URL" in detail


def api_on(processes: Processes, state: Path, broker_url: str) -> httpx2.Client:
    processes.env = service_env(state, broker_url, submit_rate_limit="")
    return httpx2.Client(base_url=processes.api(), timeout=30)


def test_refused_connection_is_a_503_within_half_a_second(
    processes: Processes, tmp_path: Path
) -> None:
    with api_on(processes, tmp_path / "state", "amqp://guest:guest@127.0.0.1:1//") as client:
        for response in submissions(client):
            assert_refused_fast(response, "amqp://guest:**@127.0.0.1:1//")
        # Nothing stored: a broker that takes no connection costs no job record.
        assert client.get("/tasks").json()["total"] == 0


def test_hung_broker_is_a_503_within_half_a_second(
    processes: Processes, tmp_path: Path, hung_broker: int
) -> None:
    url = f"amqp://guest:guest@127.0.0.1:{hung_broker}//"
    with api_on(processes, tmp_path / "state", url) as client:
        refusals = submissions(client)
        for response in refusals:
            assert_refused_fast(response, f"amqp://guest:**@127.0.0.1:{hung_broker}//")
        assert "did not accept a connection within" in refusals[0].json()["detail"]
        assert "failed a submission" in refusals[1].json()["detail"]
        assert client.get("/tasks").json()["total"] == 0


def submit_once_back(client: httpx2.Client, broker: str) -> str:
    """Submit until taken, as a client should: after each 503, wait its Retry-After."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = timed(client, "POST", "/tasks", json={"digits": 3})
        if response.status_code == 202:
            job_id: str = response.json()["id"]
            return job_id
        assert_refused_fast(response, broker)
        assert time.monotonic() < deadline, f"still refused after {RECOVERY_SECONDS}s"
        time.sleep(int(response.headers["retry-after"]))


@pytest.mark.parametrize("outage", ["refuse", "hang"])
def test_submissions_are_taken_again_once_the_broker_is_back(
    outage: Outage, processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    _, processes.env = rabbitmq_service_env(tmp_path, rabbitmq_url, submit_rate_limit="")
    # The worker reaches RabbitMQ itself; only the API goes through the proxy.
    processes.worker("w1", concurrency=1)
    with broker_proxy((RABBITMQ_HOST, RABBITMQ_PORT)) as proxy:
        proxied = proxy.url(rabbitmq_url)
        shown = proxied.replace("guest:guest@", "guest:**@")
        with httpx2.Client(base_url=processes.api(broker_url=proxied), timeout=30) as client:
            # The API's other Celery app makes its connection pool first (its patient 4 s
            # timeout): submissions must not be sent through it.
            assert client.get("/workers").status_code == 200
            before = timed(client, "POST", "/tasks", json={"digits": 3})
            assert before.status_code == 202, before.text

            proxy.off(outage)
            first, *rest = submissions(client)
            # The first finds the API's open connection dead: closed at once by a stopped
            # broker, silent (waited for, then reconnected) when its host stops answering.
            assert first.status_code == 503, first.text
            bound = REFUSAL_SECONDS if outage == "refuse" else SILENT_BROKER_SECONDS
            assert first.extensions["seconds"] < bound, first.extensions["seconds"]
            for response in rest:
                assert_refused_fast(response, shown)

            proxy.on()
            after = submit_once_back(client, shown)

            for job_id in (before.json()["id"], after):
                final = poll_until_finished(client, job_id, timeout=60)[-1]
                assert final["status"] == "SUCCESS", final
            # The refused submissions left no job waiting: at most the one sent over the dead
            # connection was stored, and it failed.
            listed = client.get("/tasks").json()["tasks"]
            assert {task["status"] for task in listed} <= {"SUCCESS", "FAILURE"}
            failed = [task for task in listed if task["status"] == "FAILURE"]
            assert len(failed) <= 1 and all("broker" in task["error"] for task in failed)
